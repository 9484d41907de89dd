namespace QuotaSidecar.Client;

/// <summary>The answer to a Commit.</summary>
/// <param name="Committed">Credits charged in total.</param>
/// <param name="Released">Part of the hold given back.</param>
/// <param name="Overage">Part of the charge no credits covered (recorded as overage debt).</param>
/// <param name="BalanceHint">The sidecar's estimate of the credits still spendable.</param>
public sealed record QuotaCommitResult(long Committed, long Released, long Overage, long BalanceHint);
