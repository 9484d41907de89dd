using System.Diagnostics;
using Microsoft.Extensions.Logging;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Leases;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Settlement;

/// <summary>
/// Makes one account's exchanges with the store (docs/design.md §4): one <see cref="LeaseExchange"/> reports usage,
/// returns what is not needed, renews the lease and takes more. One exchange runs per account at a time; whoever
/// needs one while it runs waits for that one. An exchange runs on its own, not on its waiters' time: each call to the
/// store is bounded by <see cref="EngineOptions.ExchangeTimeout"/> and goes out only when the <see cref="StoreBreaker"/>
/// of the account's shard (<see cref="StoreBreakers.For"/>) admits it. An exchange that fails stays in flight and is
/// resent unchanged (same sequence), so the store applies it exactly once.
/// </summary>
internal sealed class LeaseExchanger(
    AccountTable accounts, ICentralLedger ledger, EngineOptions options, LeaseSizing sizing, StoreBreakers breakers, TimeProvider time, EngineMetrics metrics, ILogger logger)
{
    // One counter for all accounts: sequences must only increase per (instance, account), and an account forgotten
    // by the idle eviction and seen again must not start over at 1 (the store would take it for a replay).
    private long _sequence;

    private readonly StoreRollbacks _rollbacks = new(metrics, logger);

    /// <summary>Told about every applied exchange (usage labels' overflow signal, the usage export); null: nothing.</summary>
    public UsageAttribution? Attribution { get; init; }

    /// <summary>
    /// Reads <paramref name="probeAccount"/> (an account no one uses, on <paramref name="breaker"/>'s shard) and records
    /// whether the store answered: the breaker's trial when no exchange is due, and the first contact at start
    /// (otherwise a sidecar with no accounts would not learn the store's state).
    /// </summary>
    public async ValueTask ProbeAsync(StoreBreaker breaker, string probeAccount, CancellationToken cancellationToken)
    {
        if (!breaker.TryAdmit())
        {
            return;
        }

        try
        {
            await ledger.GetAccountAsync(probeAccount, cancellationToken).AsTask().WaitAsync(options.ExchangeTimeout, time, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            breaker.Failed(probeAccount, Reason(e));
            return;
        }

        breaker.Answered();
    }

    /// <summary>
    /// The exchange for <paramref name="account"/>: the one already running, or a new one for
    /// <paramref name="intent"/> (an exchange in flight goes first, unchanged; then the fresh one; then, if the store
    /// asked holders to give credits back, a return of everything unheld). It runs in the background; the task ends
    /// when it does, within a few <see cref="EngineOptions.ExchangeTimeout"/> at most. <paramref name="pastBreaker"/>:
    /// call the store even while the breaker is open (the shutdown drain's last tries).
    /// </summary>
    public Task<ExchangeOutcome> ExchangeAsync(LocalAccount account, ExchangeIntent intent, bool pastBreaker = false) =>
        ExchangeAsync(account, intent, out _, pastBreaker);

    /// <inheritdoc cref="ExchangeAsync(LocalAccount, ExchangeIntent, bool)"/>
    /// <param name="joined">True when the exchange was already running (composed for someone else's intent).</param>
    public Task<ExchangeOutcome> ExchangeAsync(LocalAccount account, ExchangeIntent intent, out bool joined, bool pastBreaker = false)
    {
        TaskCompletionSource<ExchangeOutcome> mine;
        lock (account.Gate)
        {
            joined = account.Exchanging is not null;
            if (account.Exchanging is { } running)
            {
                return running;
            }

            mine = new TaskCompletionSource<ExchangeOutcome>();
            account.Exchanging = mine.Task;
        }

        _ = RunAsync(account, intent, pastBreaker, mine);
        return mine.Task;
    }

    private async Task RunAsync(LocalAccount account, ExchangeIntent intent, bool pastBreaker, TaskCompletionSource<ExchangeOutcome> done)
    {
        var outcome = ExchangeOutcome.StoreUnavailable;
        // Started here, before the first await: Activity.Current is still the caller's (a waiting request's span).
        var span = ExchangeTracing.Start(account.Id, intent);
        try
        {
            outcome = await RoundsAsync(account, intent, pastBreaker, span);
        }
        catch (Exception e)
        {
            EngineLog.SettleFailed(logger, e); // a bug, not the store: the exchange stays in flight for the next try
        }
        finally
        {
            lock (account.Gate)
            {
                account.Exchanging = null; // before the waiters run, so one of them may start the next exchange
            }
        }

        ExchangeTracing.Finish(span, outcome);
        done.SetResult(outcome);
    }

    private async Task<ExchangeOutcome> RoundsAsync(LocalAccount account, ExchangeIntent intent, bool pastBreaker, Activity? span)
    {
        // Resolved per exchange, not cached on the account: after a failover the account's slot is another shard's.
        var breaker = breakers.For(account.Id);
        for (var round = 0; round < 3; round++)
        {
            if (!pastBreaker && !breaker.TryAdmit())
            {
                return ExchangeOutcome.StoreUnavailable; // nothing queues behind a dead store
            }

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

            ExchangeTracing.Round(span, exchange.Sequence, resend, round);
            var started = Stopwatch.GetTimestamp();
            LeaseExchangeResult result;
            try
            {
                result = await ledger.ExchangeAsync(exchange).AsTask().WaitAsync(options.ExchangeTimeout, time);
            }
            catch (Exception e)
            {
                metrics.ExchangeFailed(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                breaker.Failed(account.Id, Reason(e));
                return ExchangeOutcome.StoreUnavailable;
            }

            breaker.Answered();
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            metrics.Exchanged(elapsed, refill: exchange.Want > 0 || exchange.OverageWant > 0);

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

            Attribution?.Applied(exchange, result);
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

    private string Reason(Exception e) => e is TimeoutException
        ? $"no answer within Quota:Store:ExchangeTimeout ({options.ExchangeTimeout.TotalMilliseconds:F0} ms)"
        : e.Message;
}
