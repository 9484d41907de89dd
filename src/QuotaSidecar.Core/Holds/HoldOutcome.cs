using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Core.Holds;

/// <summary>How a hold ended, as its retries see it: from the whole hold or from its packed record.</summary>
internal readonly record struct HoldOutcome(HoldState State, long Committed, long Released, long Overage, long FinalBalanceHint, DenyReason DenyReason)
{
    public static HoldOutcome Of(Hold hold) =>
        new(hold.State, hold.Committed, hold.Released, hold.Overage, hold.FinalBalanceHint, hold.DenyReason);

    public static HoldOutcome Of(FinishedHold record) =>
        new(record.State, record.Committed, record.Released, record.Overage, record.FinalBalanceHint, DenyReason.None);
}
