namespace QuotaSidecar.Core.Engine;

/// <summary>The answer to a Commit.</summary>
/// <param name="Committed">Credits charged in total (the actual usage).</param>
/// <param name="Released">Part of the hold given back.</param>
/// <param name="Overage">Part of the charge no credits covered (recorded as overage debt).</param>
/// <param name="BalanceHint">This sidecar's estimate of what is still spendable.</param>
public readonly record struct CommitResult(long Committed, long Released, long Overage, long BalanceHint);
