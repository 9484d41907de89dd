namespace QuotaSidecar.Core.Engine;

/// <summary>This sidecar's view of an account's spendable balance.</summary>
/// <param name="Spendable">What a Reserve could take now without overage (local lease plus central available as last seen).</param>
/// <param name="Held">Credits held by open reservations on this sidecar.</param>
/// <param name="OverageHeadroom">What overage could still cover (SOFT accounts).</param>
/// <param name="AsOf">When the central part of this view was read.</param>
public sealed record BalanceView(
    string AccountId,
    long Spendable,
    long Held,
    long OverageHeadroom,
    bool LowBalance,
    DateTimeOffset AsOf);
