using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Core.Holds;

/// <summary>
/// What a Commit or Release of a hold that is no longer open answers (docs/design.md §3): the first answer again, or
/// the error that says why it cannot be done. One place for the rules, whether the hold is kept whole (a client id)
/// or only as its compact record (a sidecar-made id).
/// </summary>
internal static class HoldAnswers
{
    public static CommitResult Commit(string reservationId, long amount, HoldOutcome hold) => hold.State switch
    {
        HoldState.Committed when hold.Committed == amount => new CommitResult(hold.Committed, hold.Released, hold.Overage, hold.FinalBalanceHint),
        HoldState.Committed => throw QuotaException.Precondition($"reservation '{reservationId}' was already committed with amount {hold.Committed} (got {amount})"),
        HoldState.Released => throw QuotaException.Precondition($"reservation '{reservationId}' was released; reserve again"),
        HoldState.Expired => throw QuotaException.Precondition($"reservation '{reservationId}' expired; reserve again (or commit sooner / ask for a longer ttl)"),
        _ => throw QuotaException.Precondition($"reservation '{reservationId}' was denied ({hold.DenyReason}); nothing to commit"),
    };

    public static ReleaseResult Release(string reservationId, HoldOutcome hold) => hold.State switch
    {
        HoldState.Released or HoldState.Expired => new ReleaseResult(hold.Released, hold.FinalBalanceHint),
        HoldState.Committed => throw QuotaException.Precondition($"reservation '{reservationId}' was already committed ({hold.Committed} credits); it cannot be released"),
        _ => throw QuotaException.Precondition($"reservation '{reservationId}' was denied ({hold.DenyReason}); nothing to release"),
    };
}
