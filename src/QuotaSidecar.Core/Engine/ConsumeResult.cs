namespace QuotaSidecar.Core.Engine;

/// <summary>The answer to a Consume (a Reserve and Commit of the same amount).</summary>
public readonly record struct ConsumeResult(
    Decision Decision,
    DenyReason DenyReason,
    long BalanceHint,
    bool LowBalance,
    bool Overage)
{
    /// <summary>A denial: nothing spent.</summary>
    public static ConsumeResult Denied(DenyReason reason, long balanceHint, bool lowBalance) =>
        new(Decision.Denied, reason, balanceHint, lowBalance, false);
}
