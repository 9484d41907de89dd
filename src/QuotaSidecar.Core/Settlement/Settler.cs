using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Holds;
using QuotaSidecar.Core.Leases;

namespace QuotaSidecar.Core.Settlement;

/// <summary>
/// The engine's background work (docs/design.md §4): the settle pass every interval (report usage, renew leases,
/// return idle or surplus credits, evict idle accounts, forget old idempotency records), the breakers' trials while
/// the store or a shard of it is down, the refill queue fed by the hot path, and the shutdown drain. Driven by the host
/// (<see cref="RunAsync"/> until stopping, then <see cref="ShutdownAsync"/>).
/// </summary>
public sealed class Settler
{
    /// <summary>The longest the store breaker stays open before its next trial (it starts at one settle interval
    /// and doubles).</summary>
    internal static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(4);

    /// <summary>How often the pass also looks at accounts with nothing local, to evict idle ones: eviction is a
    /// matter of minutes (EvictIdleAfter), so a few seconds late costs nothing, and at 100,000 idle accounts a scan
    /// every pass (4 a second) would be most of the pass.</summary>
    private static readonly TimeSpan EvictionScanInterval = TimeSpan.FromSeconds(5);

    private readonly Channel<LocalAccount> _refills = Channel.CreateUnbounded<LocalAccount>(new UnboundedChannelOptions { SingleReader = true });
    private readonly AccountTable _accounts;
    private readonly HoldTable _holds;
    private readonly LeaseExchanger _exchanger;
    private readonly LeaseSizing _sizing;
    private readonly StoreBreakers _breakers;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly EngineMetrics _metrics;
    private readonly ILogger _logger;
    private long _nextFullScanTicks;
    private bool _probed;

    internal Settler(
        AccountTable accounts, HoldTable holds, LeaseExchanger exchanger, LeaseSizing sizing, StoreBreakers breakers,
        EngineOptions options, TimeProvider time, EngineMetrics metrics, ILogger logger)
    {
        _accounts = accounts;
        _holds = holds;
        _exchanger = exchanger;
        _sizing = sizing;
        _breakers = breakers;
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Runs the settle pass every SettleInterval and the refill worker until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var refill = RefillLoopAsync(cancellationToken);
        using var timer = new PeriodicTimer(_options.SettleInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await PassAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    EngineLog.SettleFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await refill;
    }

    /// <summary>One settle pass over every account with something to report, renew, return or refill.</summary>
    public async Task PassAsync(CancellationToken cancellationToken = default)
    {
        if (!_breakers.Closed)
        {
            // Each breaker that is not closed gets its trial (a probe on its shard, when due). The whole store down (a
            // store of one shard: its breaker not closed): no pass until a trial finds it back. Only some shards down:
            // the pass runs; an account on an open shard is refused by its breaker with no call, and waits for the
            // shard's trial.
            _breakers.RefreshShards();
            await Task.WhenAll(_breakers.Trials().Select(t => _exchanger.ProbeAsync(t.Breaker, t.ProbeAccount, cancellationToken).AsTask()));
            if (_breakers.AllDown)
            {
                return;
            }
        }

        var now = _time.GetUtcNow().UtcTicks;

        var started = Stopwatch.GetTimestamp();
        _holds.ForgetOld(now);

        // Only accounts with something local need a look every pass; the rest (empty, waiting to be evicted) are
        // looked at by a full scan every EvictionScanInterval, so a pass costs what is active, not all ever seen.
        var fullScan = now >= _nextFullScanTicks;
        if (fullScan)
        {
            _nextFullScanTicks = now + EvictionScanInterval.Ticks;
        }

        var due = new List<(LocalAccount Account, ExchangeIntent Intent)>();
        foreach (var account in fullScan ? _accounts.All : _accounts.Active)
        {
            ExchangeIntent? intent;
            lock (account.Gate)
            {
                if (account.IsForgettable(now, _options.EvictIdleAfter.Ticks))
                {
                    account.MarkEvicted();
                    intent = null;
                }
                else
                {
                    account.SweepExpired(now);
                    account.SampleRate(now, _options.SettleInterval.Ticks);
                    intent = NextExchange(account, now);
                    if (intent is null && account.IsEmpty)
                    {
                        _accounts.MarkIdle(account);
                    }
                }
            }

            if (account.Evicted)
            {
                _accounts.Remove(account);
            }
            else if (intent is { } value)
            {
                due.Add((account, value));
            }
        }

        if (due.Count == 0)
        {
            if (!_probed)
            {
                _probed = true; // the first contact: learn the store's state even with nothing to exchange
                await _exchanger.ProbeAsync(_breakers.For(StoreBreakers.ProbeAccountId), StoreBreakers.ProbeAccountId, cancellationToken);
            }

            return;
        }

        await Parallel.ForEachAsync(
            due,
            new ParallelOptions { MaxDegreeOfParallelism = _options.SettleParallelism, CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                if (await _exchanger.ExchangeAsync(item.Account, item.Intent).WaitAsync(ct) == ExchangeOutcome.UnknownAccount)
                {
                    _accounts.RemoveIfUnknown(item.Account);
                }
            });

        _metrics.SettleBatch(due.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Processes queued background refills now (the worker in <see cref="RunAsync"/> does this continuously).</summary>
    public async Task ProcessRefillsAsync(CancellationToken cancellationToken = default)
    {
        while (_refills.Reader.TryRead(out var account))
        {
            await RefillAsync(account, cancellationToken);
        }
    }

    /// <summary>
    /// Graceful shutdown: releases open holds, reports all usage and returns every lease, retrying until
    /// <paramref name="cancellationToken"/> (the grace period) ends.
    /// </summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        var released = 0;
        var now = _time.GetUtcNow().UtcTicks;
        foreach (var account in _accounts.All)
        {
            lock (account.Gate)
            {
                released += account.ReleaseAllHolds(now);
            }
        }

        var pending = new List<LocalAccount>(_accounts.All);
        var settled = 0;
        while (pending.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            var failed = new List<LocalAccount>();
            foreach (var account in pending)
            {
                try
                {
                    // Past the breaker: this is the last chance to report. It may join an exchange already running (with
                    // another intent): settled only once nothing is left.
                    var outcome = await _exchanger.ExchangeAsync(account, new ExchangeIntent(ReturnAll: true), pastBreaker: true).WaitAsync(cancellationToken);
                    if (outcome is ExchangeOutcome.Done && !Settled(account))
                    {
                        // That was an exchange already running (another intent): now ours, at once.
                        outcome = await _exchanger.ExchangeAsync(account, new ExchangeIntent(ReturnAll: true), pastBreaker: true).WaitAsync(cancellationToken);
                    }

                    if (outcome is ExchangeOutcome.UnknownAccount || (outcome is ExchangeOutcome.Done && Settled(account)))
                    {
                        settled++;
                    }
                    else
                    {
                        failed.Add(account);
                    }
                }
                catch (OperationCanceledException)
                {
                    failed.Add(account);
                }
            }

            pending = failed;
            if (pending.Count > 0)
            {
                try
                {
                    await Task.Delay(_options.SettleInterval, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        EngineLog.Shutdown(_logger, released, settled, pending.Count);
    }

    /// <summary>Queues a background refill of the account's lease (once, until it runs). Called from the hot path.</summary>
    internal void RequestRefill(LocalAccount account)
    {
        if (Interlocked.Exchange(ref account.RefillQueued, 1) == 0)
        {
            _refills.Writer.TryWrite(account);
        }
    }

    /// <summary>Stops accepting refills (the worker ends once the queue is empty).</summary>
    internal void Complete() => _refills.Writer.TryComplete();

    /// <summary>Nothing of the account is left to report or return (the shutdown drain is done with it).</summary>
    private static bool Settled(LocalAccount account)
    {
        lock (account.Gate)
        {
            return account.Evicted || (account.Free == 0 && account.OverageFree == 0 && account.Unreported == 0 && account.InFlight is null);
        }
    }

    /// <summary>What this account's next exchange should do, or null if nothing. Caller holds the gate.</summary>
    private ExchangeIntent? NextExchange(LocalAccount account, long now)
    {
        var hasCredits = account.Free + account.OverageFree > 0;
        var quiet = now - account.LastUseTicks >= _options.IdleReturnAfter.Ticks;
        if ((quiet && hasCredits && account.Held == 0) || account.ReclaimRequested)
        {
            return new ExchangeIntent(ReturnAll: true);
        }

        var target = _sizing.Target(account);
        var precise = _sizing.Precise(account);
        // Not for a quiet account: its rate (a moving average) lags for a few passes, and a refill right after the
        // idle return would be returned again on the next pass.
        var refill = !quiet && account.Rate > 0 && _sizing.BelowWatermark(account) && !account.IsSuspended && !precise;
        // Renew on the heartbeat, and report before a lease runs out (it may be capped at a grant's expiry).
        var renew = (hasCredits || account.Held > 0) && !account.IsTrack
            && (now - account.LastExchangeTicks >= _options.LeaseRenewInterval.Ticks
                || now >= account.LeaseExpiresTicks - (2 * _options.SettleInterval.Ticks));
        return account.Unreported > 0 || account.InFlight is not null || refill || renew || account.Free > 2 * target
            || (precise && account.Free > 0)
            ? new ExchangeIntent(Refill: refill)
            : null;
    }

    private async Task RefillLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var account in _refills.Reader.ReadAllAsync(cancellationToken))
            {
                await RefillAsync(account, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RefillAsync(LocalAccount account, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref account.RefillQueued, 0);
        lock (account.Gate)
        {
            if (_sizing.Precise(account))
            {
                return; // precision mode takes exactly per request; a top-up would only strand credits
            }
        }

        try
        {
            await _exchanger.ExchangeAsync(account, new ExchangeIntent(Refill: true)).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            EngineLog.SettleFailed(_logger, e);
        }
    }
}
