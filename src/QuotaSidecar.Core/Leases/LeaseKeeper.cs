using System.Diagnostics;
using Microsoft.Extensions.Logging;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Leases;

/// <summary>
/// Moves credits between the local leases and the central ledger: one <see cref="LeaseExchange"/> per sync that
/// reports usage, returns what is not needed, renews the lease and takes more. An exchange that fails stays
/// pending and is resent unchanged (same sequence), so the store applies it exactly once.
/// </summary>
internal sealed class LeaseKeeper(ICentralLedger ledger, EngineOptions options, TimeProvider time, EngineMetrics metrics, ILogger logger)
{
    private volatile bool _storeAvailable = true;

    // One counter for all accounts: sequences must only increase per (instance, account), and an account forgotten
    // by the idle eviction and seen again must not start over at 1 (the store would take it for a replay).
    private long _sequence;

    public bool StoreAvailable => _storeAvailable;

    /// <summary>The lease size this account aims for: the observed rate over the refill horizon, within bounds.</summary>
    public long Target(LocalAccount account)
    {
        var byRate = account.Rate * options.RefillHorizon.TotalSeconds;
        return byRate >= options.MaxLease ? options.MaxLease : Math.Max(options.MinLease, (long)byRate);
    }

    public long LowWatermark(LocalAccount account) => (long)(Target(account) * options.LowWatermark);

    /// <summary>
    /// Precision mode (docs/design.md §4): once the pool this sidecar can see (central available plus its own lease) is
    /// under a few lease targets, it keeps no idle credits and takes exactly what each request needs, so credits are
    /// not stranded on idle sidecars at the end of a balance. Caller holds the gate.
    /// </summary>
    public bool Precise(LocalAccount account) =>
        account.Known && account.CentralAvailable + account.Free < PrecisionPools * Target(account);

    private const long PrecisionPools = 4;

    /// <summary>An account id no one uses: reading it is a cheap round trip to the store.</summary>
    private const string ProbeAccountId = "quota-sidecar-store-probe";

    /// <summary>
    /// Asks the store something harmless and records whether it answered. The settle pass calls it when it has no
    /// exchange to make and the store's state is unknown (start) or down: otherwise a sidecar with no accounts would
    /// stay "unavailable" (and unready) after the store came back, since only exchanges update the flag.
    /// </summary>
    public async ValueTask ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ledger.GetAccountAsync(ProbeAccountId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (_storeAvailable)
            {
                _storeAvailable = false;
                EngineLog.StoreUnavailable(logger, ProbeAccountId, e.Message);
            }

            return;
        }

        if (!_storeAvailable)
        {
            _storeAvailable = true;
            EngineLog.StoreBack(logger);
        }
    }

    public async ValueTask<SyncOutcome> SyncAsync(LocalAccount account, SyncIntent intent, CancellationToken cancellationToken)
    {
        await account.SyncGate.WaitAsync(cancellationToken);
        try
        {
            // A pending exchange goes first, unchanged; then the fresh one; then, if the store asked holders to
            // give credits back, a return of everything unheld.
            for (var round = 0; round < 3; round++)
            {
                LeaseExchange exchange;
                bool retry;
                lock (account.Gate)
                {
                    if (account.Evicted)
                    {
                        return SyncOutcome.Done; // nothing local to report; the caller looks the account up again
                    }

                    retry = account.InFlight is not null;
                    exchange = account.InFlight ?? Compose(account, intent);
                    account.InFlight = exchange;
                }

                var started = Stopwatch.GetTimestamp();
                LeaseExchangeResult result;
                try
                {
                    result = await ledger.ExchangeAsync(exchange, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    metrics.SettleFailure();
                    if (_storeAvailable)
                    {
                        _storeAvailable = false;
                        EngineLog.StoreUnavailable(logger, account.Id, e.Message);
                    }

                    return SyncOutcome.StoreUnavailable;
                }

                if (!_storeAvailable)
                {
                    _storeAvailable = true;
                    EngineLog.StoreBack(logger);
                }

                if (exchange.Want > 0 || exchange.OverageWant > 0)
                {
                    metrics.Refill(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }

                lock (account.Gate)
                {
                    account.InFlight = null;
                    Apply(account, result);
                }

                if (!result.AccountExists)
                {
                    return SyncOutcome.UnknownAccount;
                }

                bool reclaim;
                lock (account.Gate)
                {
                    reclaim = account.ReclaimRequested && !intent.ReturnAll;
                }

                if (reclaim)
                {
                    intent = intent with { ReturnAll = true };
                }
                else if (!retry)
                {
                    break;
                }
            }

            return SyncOutcome.Done;
        }
        finally
        {
            account.SyncGate.Release();
        }
    }

    private LeaseExchange Compose(LocalAccount account, SyncIntent intent)
    {
        var used = account.Unreported;
        account.Unreported = 0;
        account.FailOpenUsed = 0;

        var target = Target(account);
        long give = 0, giveOverage = 0;
        if (intent.ReturnAll || account.ReclaimRequested)
        {
            give = account.Free;
            giveOverage = account.OverageFree;
            account.ReclaimRequested = false;
        }
        else if (Precise(account) && intent.Need == 0)
        {
            give = account.Free; // near the end of the balance, hold nothing idle
        }
        else if (account.Free > 2 * target)
        {
            give = account.Free - target;
        }

        account.Free -= give;
        account.OverageFree -= giveOverage;

        long want = 0, min = 0, overageWant = 0;
        if (!intent.ReturnAll && !account.IsSuspended)
        {
            var need = Math.Max(0, intent.Need - account.Free);
            var topUp = (intent.Refill || need > 0) && !Precise(account) ? Math.Max(0, target - account.Free) : 0;
            want = Math.Min(Validation.MaxAmount, Math.Max(need, topUp));
            overageWant = Math.Max(0, intent.OverageNeed - account.OverageFree);
            min = need > 0 ? need : Math.Min(want, 1);
        }

        return new LeaseExchange(
            account.Id, options.InstanceId, account.Sequence = Interlocked.Increment(ref _sequence), used, give, giveOverage, want, min, overageWant, account.HeldCredits);
    }

    private void Apply(LocalAccount account, LeaseExchangeResult result)
    {
        var now = time.GetUtcNow().UtcTicks;
        account.LastSyncTicks = now;
        if (!result.AccountExists)
        {
            account.Known = false;
            return;
        }

        account.Known = true;
        account.Policy = result.Policy;
        if (result.LeaseLost)
        {
            metrics.LeaseLost();
            EngineLog.LeaseLost(logger, account.Id, account.Unreported);
            account.Free = 0;
            account.OverageFree = 0;
        }

        account.Free -= Math.Min(account.Free, result.Revoked);
        account.Free += result.Granted;
        account.OverageFree += result.OverageGranted;
        account.LeaseExpiresTicks = result.LeaseExpiresAt.UtcTicks;
        account.CentralAvailable = result.Available;
        account.CentralOverageHeadroom = result.OverageHeadroom;
        account.CentralAsOfTicks = now;
        account.ReclaimFlagSeen = result.ReclaimRequested && result.Granted == 0;
        account.ReclaimRequested |= account.ReclaimFlagSeen && account.Free > 0;
    }
}
