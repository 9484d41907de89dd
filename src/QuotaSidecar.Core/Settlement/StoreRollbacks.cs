using Microsoft.Extensions.Logging;
using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Core.Settlement;

/// <summary>
/// What this sidecar says when the central store went back in time (docs/design.md#store-rollback): every account it
/// resynchronises is counted (<c>quota.store.rollbacks</c>, and the usage charged again in
/// <c>quota.store.rollback.restored</c>) and logged with its figures, up to <see cref="LoggedPerMinute"/> accounts a
/// minute: one rollback reaches every account the sidecar uses, so beyond that a line says the rest are only counted.
/// </summary>
internal sealed class StoreRollbacks(EngineMetrics metrics, ILogger logger)
{
    /// <summary>Accounts logged one by one per minute; the metrics count every one.</summary>
    public const int LoggedPerMinute = 20;

    private static readonly long MinuteMs = (long)TimeSpan.FromMinutes(1).TotalMilliseconds;
    private readonly Lock _gate = new();
    private long? _windowStartMs;
    private int _loggedInWindow;

    /// <summary>The store answered an exchange of <paramref name="accountId"/> with a rollback; the lease went from the
    /// "before" figures to the "after" ones (what the store records).</summary>
    public void Detected(string accountId, long acknowledged, long restored, long creditsBefore, long overageBefore, long creditsAfter, long overageAfter)
    {
        metrics.StoreRolledBack(restored);
        switch (Admit())
        {
            case Admission.Log:
                EngineLog.StoreRolledBack(logger, accountId, acknowledged, restored, creditsBefore, overageBefore, creditsAfter, overageAfter);
                break;
            case Admission.SayThrottled:
                EngineLog.StoreRollbacksThrottled(logger, LoggedPerMinute);
                break;
        }
    }

    /// <summary>The store does not know an account it acknowledged exchanges for: it lost the account.</summary>
    public void AccountLost(string accountId, long acknowledged, long acknowledgedUsage)
    {
        metrics.StoreRolledBack(0);
        if (Admit() == Admission.Log)
        {
            EngineLog.StoreLostAccount(logger, accountId, acknowledged, acknowledgedUsage);
        }
    }

    private Admission Admit()
    {
        // The process's tick count, not the injected clock: this paces log lines, it decides nothing.
        var now = Environment.TickCount64;
        lock (_gate)
        {
            if (_windowStartMs is not { } start || now - start >= MinuteMs)
            {
                _windowStartMs = now;
                _loggedInWindow = 0;
            }

            _loggedInWindow++;
            return _loggedInWindow <= LoggedPerMinute ? Admission.Log
                : _loggedInWindow == LoggedPerMinute + 1 ? Admission.SayThrottled
                : Admission.Count;
        }
    }

    private enum Admission
    {
        Log,
        SayThrottled,
        Count,
    }
}
