namespace QuotaSidecar.Core.Engine;

/// <summary>The answer to a Consume (a Reserve and Commit of the same amount).</summary>
/// <param name="DeniedAccountId">Denied: the account of the path that refused (the request's own, or an ancestor).</param>
public readonly record struct ConsumeResult(
    Decision Decision,
    DenyReason DenyReason,
    long BalanceHint,
    bool LowBalance,
    bool Overage,
    string DeniedAccountId = "")
{
    /// <summary>A denial: nothing spent.</summary>
    public static ConsumeResult Denied(DenyReason reason, long balanceHint, bool lowBalance, string deniedAccountId) =>
        new(Decision.Denied, reason, balanceHint, lowBalance, false, deniedAccountId);
}
