namespace QuotaSidecar.Client;

/// <summary>The sidecar's view of an account.</summary>
/// <param name="AccountId">The account.</param>
/// <param name="Spendable">What a Reserve could take now without overage, in credits.</param>
/// <param name="Held">Credits held by open holds on this sidecar.</param>
/// <param name="OverageHeadroom">What overage could still cover.</param>
/// <param name="LowBalance">At or below the account's low-balance threshold.</param>
/// <param name="AsOf">When the central part of this view was read.</param>
public sealed record QuotaBalance(string AccountId, long Spendable, long Held, long OverageHeadroom, bool LowBalance, DateTimeOffset AsOf);
