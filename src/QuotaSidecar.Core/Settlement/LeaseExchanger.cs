using System.Diagnostics;
using Microsoft.Extensions.Logging;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Leases;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Settlement;

/// <summary>
/// Makes one account's exchanges with the store (docs/design.md §4): one <see cref="LeaseExchange"/> reports usage,
/// returns what is not needed, renews the lease and takes more. An exchange that fails stays in flight and is resent
/// unchanged (same sequence), so the store applies it exactly once.
/// </summary>
internal sealed class LeaseExchanger(
    AccountTable accounts, ICentralLedger ledger, EngineOptions options, LeaseSizing sizing, StoreHealth health, TimeProvider time, EngineMetrics metrics, ILogger logger)
{
    /// <summary>An account id no one uses: reading it is a cheap round trip to the store.</summary>
    private const string ProbeAccountId = "quota-sidecar-store-probe";

    // One counter for all accounts: sequences must only increase per (instance, account), and an account forgotten
    // by the idle eviction and seen again must not start over at 1 (the store would take it for a replay).
    private long _sequence;

    private readonly StoreRollbacks _rollbacks = new(metrics, logger);

    /// <summary>
    /// Asks the store something harmless and records whether it answered. The settle pass calls it when it has no
    /// exchange to make and the store's state is unknown (start) or down: otherwise a sidecar with no accounts would
    /// stay "unavailable" (and unready) after the store came back, since only exchanges update the state.
    /// </summary>
    public async ValueTask ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ledger.GetAccountAsync(ProbeAccountId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            health.Failed(ProbeAccountId, e);
            return;
        }

        health.Answered();
    }

    /// <summary>
    /// Exchanges with the store for <paramref name="account"/>: an exchange in flight goes first, unchanged; then the
    /// fresh one for <paramref name="intent"/>; then, if the store asked holders to give credits back, a return of
    /// everything unheld.
    /// </summary>
    public async ValueTask<ExchangeOutcome> ExchangeAsync(LocalAccount account, ExchangeIntent intent, CancellationToken cancellationToken)
    {
        await account.ExchangeGate.WaitAsync(cancellationToken);
        try
        {
            for (var round = 0; round < 3; round++)
            {
                LeaseExchange exchange;
                bool resend;
                lock (account.Gate)
                {
                    if (account.Evicted)
                    {
                        return ExchangeOutcome.Done; // nothing local to report; the caller looks the account up again
                    }

                    resend = account.InFlight is not null;
                    exchange = account.InFlight ?? account.ComposeExchange(intent, sizing, options.InstanceId, Interlocked.Increment(ref _sequence), time.GetUtcNow());
                }

                var started = Stopwatch.GetTimestamp();
                LeaseExchangeResult result;
                try
                {
                    result = await ledger.ExchangeAsync(exchange, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    metrics.ExchangeFailed();
                    health.Failed(account.Id, e);
                    return ExchangeOutcome.StoreUnavailable;
                }

                health.Answered();
                if (exchange.Want > 0 || exchange.OverageWant > 0)
                {
                    metrics.RefillExchanged(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }

                bool reclaim;
                lock (account.Gate)
                {
                    var (acknowledged, acknowledgedUsage, free, overageFree) = (account.AcknowledgedSequence, account.AcknowledgedUsage, account.Free, account.OverageFree);
                    if (account.ApplyExchange(result, time.GetUtcNow().UtcTicks))
                    {
                        metrics.LeaseLost();
                        EngineLog.LeaseLost(logger, account.Id, account.Unreported);
                    }

                    if (result.StoreRolledBack)
                    {
                        _rollbacks.Detected(account.Id, acknowledged, result.UsageRestored, free, overageFree, account.Free, account.OverageFree);
                    }
                    else if (!result.AccountExists && acknowledged > 0)
                    {
                        _rollbacks.AccountLost(account.Id, acknowledged, acknowledgedUsage);
                    }

                    accounts.MarkActive(account);

                    reclaim = account.ReclaimRequested && !intent.ReturnAll;
                }

                if (!result.AccountExists)
                {
                    return ExchangeOutcome.UnknownAccount;
                }

                if (reclaim)
                {
                    intent = intent with { ReturnAll = true };
                }
                else if (!resend)
                {
                    break;
                }
            }

            return ExchangeOutcome.Done;
        }
        finally
        {
            account.ExchangeGate.Release();
        }
    }
}
