using System.Diagnostics;
using QuotaSidecar.Core.Holds;
using QuotaSidecar.Core.Leases;

namespace QuotaSidecar.Core.Engine;

/// <summary>
/// The engine's background work: the settle pass (report usage, renew leases, return idle or surplus credits,
/// forget old idempotency records), the refill worker and the shutdown drain.
/// </summary>
public sealed partial class QuotaEngine
{
    private const double RateSmoothing = 0.3;
    private static readonly TimeSpan MaxSettleBackoff = TimeSpan.FromSeconds(4);
    private long _lastPassTicks;
    private long _backoffTicks;
    private long _retryAtTicks;
    private bool _probed;

    /// <summary>Runs the settle loop (every SettleInterval) and the refill worker until cancelled.</summary>
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
                    await SettleOnceAsync(cancellationToken);
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
    public async Task SettleOnceAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (!_leases.StoreAvailable && now < _retryAtTicks)
        {
            return; // backing off while the store is down; a Reserve that needs the store still tries at once
        }

        var started = Stopwatch.GetTimestamp();
        var elapsed = _lastPassTicks == 0 ? _options.SettleInterval.Ticks : Math.Max(1, now - _lastPassTicks);
        _lastPassTicks = now;
        ForgetOldRecords(now);

        var due = new List<(LocalAccount Account, SyncIntent Intent)>();
        foreach (var (_, account) in _accounts)
        {
            bool evict;
            lock (account.Gate)
            {
                evict = account.Evicted = IsForgettable(account, now);
            }

            if (evict)
            {
                _accounts.TryRemove(new KeyValuePair<string, LocalAccount>(account.Id, account));
                continue;
            }

            lock (account.Gate)
            {

                SweepIfDue(account, now);
                var rate = account.UsedSinceSample * (double)TimeSpan.TicksPerSecond / elapsed;
                account.Rate = (RateSmoothing * rate) + ((1 - RateSmoothing) * account.Rate);
                account.UsedSinceSample = 0;
                if (account.Rate < 0.01)
                {
                    account.Rate = 0;
                }

                if (NextSettle(account, now) is { } intent)
                {
                    due.Add((account, intent));
                }
            }
        }

        if (due.Count == 0)
        {
            if (!_probed || !_leases.StoreAvailable)
            {
                _probed = true;
                await _leases.ProbeAsync(cancellationToken);
                Backoff();
            }

            return;
        }

        await Parallel.ForEachAsync(
            due,
            new ParallelOptions { MaxDegreeOfParallelism = _options.SettleParallelism, CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                if (await _leases.SyncAsync(item.Account, item.Intent, ct) == SyncOutcome.UnknownAccount)
                {
                    RemoveIfUnknown(item.Account);
                }
            });

        _metrics.SettleBatch(due.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);

        Backoff();
    }

    /// <summary>Exponential backoff (one settle interval doubling to MaxSettleBackoff) while the store is down.</summary>
    private void Backoff()
    {
        if (_leases.StoreAvailable)
        {
            _backoffTicks = 0;
        }
        else
        {
            _backoffTicks = Math.Min(MaxSettleBackoff.Ticks, Math.Max(_options.SettleInterval.Ticks, _backoffTicks * 2));
            _retryAtTicks = _time.GetUtcNow().UtcTicks + _backoffTicks;
        }
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
        foreach (var (_, account) in _accounts)
        {
            lock (account.Gate)
            {
                while (account.OpenHolds is { } hold)
                {
                    account.ReturnHold(hold, HoldState.Released);
                    Interlocked.Decrement(ref _openHolds);
                    released++;
                }
            }
        }

        var pending = new List<LocalAccount>(_accounts.Values);
        var settled = 0;
        while (pending.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            var failed = new List<LocalAccount>();
            foreach (var account in pending)
            {
                try
                {
                    var outcome = await _leases.SyncAsync(account, new SyncIntent(ReturnAll: true), cancellationToken);
                    if (outcome == SyncOutcome.StoreUnavailable)
                    {
                        failed.Add(account);
                    }
                    else
                    {
                        settled++;
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

    public ValueTask DisposeAsync()
    {
        _refills.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    /// <summary>Nothing local left and unused for EvictIdleAfter. Caller holds the gate.</summary>
    private bool IsForgettable(LocalAccount account, long now) =>
        account.Free == 0 && account.OverageFree == 0 && account.OpenHoldCount == 0 && account.Unreported == 0
        && account.InFlight is null && now - Math.Max(account.LastUseTicks, account.LastSyncTicks) >= _options.EvictIdleAfter.Ticks;

    /// <summary>What this account's next settle should do, or null if nothing. Caller holds the gate.</summary>
    private SyncIntent? NextSettle(LocalAccount account, long now)
    {
        var hasCredits = account.Free + account.OverageFree > 0;
        var quiet = now - account.LastUseTicks >= _options.IdleReturnAfter.Ticks;
        if ((quiet && hasCredits && account.Held == 0) || account.ReclaimRequested)
        {
            return new SyncIntent(ReturnAll: true);
        }

        var target = _leases.Target(account);
        var precise = _leases.Precise(account);
        // Not for a quiet account: its rate (a moving average) lags for a few passes, and a refill right after the
        // idle return would be returned again on the next pass.
        var refill = !quiet && account.Rate > 0 && account.Free < _leases.LowWatermark(account) && !account.IsSuspended && !precise;
        // Renew on the heartbeat, and report before a lease runs out (it may be capped at a grant's expiry).
        var renew = (hasCredits || account.Held > 0)
            && (now - account.LastSyncTicks >= _options.LeaseRenewInterval.Ticks
                || now >= account.LeaseExpiresTicks - (2 * _options.SettleInterval.Ticks));
        return account.Unreported > 0 || account.InFlight is not null || refill || renew || account.Free > 2 * target
            || (precise && account.Free > 0)
            ? new SyncIntent(Refill: refill)
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
            if (_leases.Precise(account))
            {
                return; // precision mode takes exactly per request; a top-up would only strand credits
            }
        }

        try
        {
            await _leases.SyncAsync(account, new SyncIntent(Refill: true), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            EngineLog.SettleFailed(_logger, e);
        }
    }

    /// <summary>Drops idempotency records older than the window (they were made in order, so the queue is sorted).</summary>
    private void ForgetOldRecords(long now)
    {
        while (_retention.TryPeek(out var hold) && hold.CreatedTicks + _retentionTicks <= now)
        {
            _retention.TryDequeue(out _);
            lock (hold.Account.Gate)
            {
                ExpireIfDue(hold, now);
            }

            // Remove only this record: the id may since have been reused for a newer one.
            if (!_holds.TryRemove(new KeyValuePair<string, Hold>(hold.Id, hold)))
            {
                _consumes.TryRemove(new KeyValuePair<string, Hold>(hold.Id, hold));
            }
        }
    }
}
