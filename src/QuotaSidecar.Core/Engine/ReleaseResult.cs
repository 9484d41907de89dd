namespace QuotaSidecar.Core.Engine;

/// <summary>The answer to a Release: how much of the hold went back.</summary>
public readonly record struct ReleaseResult(long Released, long BalanceHint);
