namespace QuotaSidecar.Client;

/// <summary>The answer to a Consume. A denial is an answer: <see cref="Granted"/> is false and <see cref="DenyReason"/> says why.</summary>
/// <param name="Granted">The credits were charged.</param>
/// <param name="DenyReason">Why not, when not granted.</param>
/// <param name="BalanceHint">The sidecar's estimate of the credits still spendable (may lag the central balance).</param>
/// <param name="LowBalance">The balance is at or below the account's low-balance threshold.</param>
/// <param name="Overage">Part of the charge came from the account's overage allowance.</param>
public sealed record QuotaConsumeResult(bool Granted, QuotaDenyReason DenyReason, long BalanceHint, bool LowBalance, bool Overage)
{
    /// <summary>Shadow mode: the sidecar would have denied this Consume for <see cref="ShadowReason"/> and granted it
    /// instead; nothing was charged.</summary>
    public bool ShadowDenied { get; init; }

    /// <summary>Why the sidecar would have denied it, when <see cref="ShadowDenied"/>.</summary>
    public QuotaDenyReason ShadowReason { get; init; }

    /// <summary>Denied: the account that refused, this one or an ancestor in its tree; empty when granted.</summary>
    public string DeniedAccountId { get; init; } = "";
}
