using System.Diagnostics;
using QuotaSidecar.Core.Leases;

namespace QuotaSidecar.Core.Settlement;

/// <summary>
/// The span of one exchange with the store (docs/architecture.md, "Tracing"). System.Diagnostics only: the host
/// decides whether anyone listens. With no listener (tracing off, the default) <see cref="Start"/> costs a branch and
/// allocates nothing. An exchange a request waits on (the Reserve slow path, a consistent GetBalance, a first load)
/// is a child of that request's span through <see cref="Activity.Current"/>; one started by the background (the
/// settle pass, the refill worker, the shutdown drain) has no parent and comes from <see cref="BackgroundSourceName"/>,
/// which the host listens to only when asked: otherwise every settle pass of every account would be a trace.
/// </summary>
public static class ExchangeTracing
{
    /// <summary>Exchanges started for a request (a child of its span).</summary>
    public const string SourceName = "QuotaSidecar";

    /// <summary>Exchanges started by the background with no request waiting: root spans, off unless the host adds it.</summary>
    public const string BackgroundSourceName = "QuotaSidecar.Background";

    /// <summary>The span's name.</summary>
    public const string SpanName = "quota.exchange";

    public const string AccountAttribute = "quota.account";
    public const string IntentAttribute = "quota.exchange.intent";
    public const string OutcomeAttribute = "quota.exchange.outcome";
    public const string SequenceAttribute = "quota.exchange.sequence";
    public const string ResendAttribute = "quota.exchange.resend";
    public const string RoundsAttribute = "quota.exchange.rounds";

    private static readonly ActivitySource Source = new(SourceName);
    private static readonly ActivitySource Background = new(BackgroundSourceName);

    /// <summary>The span of an exchange starting now, or null when no one records it.</summary>
    internal static Activity? Start(string accountId, ExchangeIntent intent)
    {
        var source = Activity.Current is null ? Background : Source;
        if (!source.HasListeners())
        {
            return null;
        }

        var activity = source.StartActivity(SpanName, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(AccountAttribute, accountId);
            activity.SetTag(IntentAttribute, IntentName(intent));
        }

        return activity;
    }

    /// <summary>One round of the exchange went out with <paramref name="sequence"/> (a resend keeps the sequence of
    /// the exchange in flight); the span keeps the last one, and counts the rounds.</summary>
    internal static void Round(Activity? activity, long sequence, bool resend, int round)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(SequenceAttribute, sequence);
            activity.SetTag(ResendAttribute, resend);
            activity.SetTag(RoundsAttribute, round + 1);
        }
    }

    /// <summary>Ends the span with the outcome the waiters see; a store that could not be reached is an error.</summary>
    internal static void Finish(Activity? activity, ExchangeOutcome outcome)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(OutcomeAttribute, OutcomeName(outcome));
        if (outcome == ExchangeOutcome.StoreUnavailable)
        {
            activity.SetStatus(ActivityStatusCode.Error, "store unavailable");
        }

        activity.Dispose();
    }

    internal static string IntentName(ExchangeIntent intent) => intent switch
    {
        { ReturnAll: true } => "return_all",
        { Need: > 0 } or { OverageNeed: > 0 } => "need",
        { Refill: true } => "refill",
        _ => "settle",
    };

    internal static string OutcomeName(ExchangeOutcome outcome) => outcome switch
    {
        ExchangeOutcome.Done => "done",
        ExchangeOutcome.UnknownAccount => "unknown_account",
        ExchangeOutcome.StoreUnavailable => "store_unavailable",
        _ => "timed_out",
    };
}
