namespace QuotaSidecar.Core.Events;

/// <summary>
/// An account's auto-recharge policy (docs/design.md#auto-recharge): when the customer balance falls to or below
/// <paramref name="Threshold"/>, the store emits <c>recharge.requested</c> for <c>Target − balance</c> credits, at most
/// <paramref name="MaxPerMonth"/> times per calendar month (UTC) and not within <paramref name="Cooldown"/> of the
/// previous request. The billing system charges the customer and calls GrantCredits with the request's recharge id as
/// the grant id; the sidecar never grants by itself.
/// </summary>
/// <param name="AccountId">The account.</param>
/// <param name="Threshold">Balance at or below which a recharge is requested, &gt;= 0.</param>
/// <param name="Target">Balance a recharge brings the account to, &gt; <paramref name="Threshold"/>.</param>
/// <param name="MaxPerMonth">Requests per calendar month (UTC), 0..1000; 0 turns auto-recharge off.</param>
/// <param name="Cooldown">Least time between two requests, 0 to 31 days.</param>
public sealed record RechargePolicy(string AccountId, long Threshold, long Target, int MaxPerMonth, TimeSpan Cooldown)
{
    /// <summary>Throws <see cref="QuotaException"/> (InvalidArgument) naming the field that is out of range.</summary>
    public void Validate()
    {
        Validation.AccountId(AccountId, "account_id");
        Validation.NonNegativeAmount(Threshold, "threshold");
        Validation.NonNegativeAmount(Target, "target");
        if (Target <= Threshold)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"target must be above threshold (got target {Target}, threshold {Threshold})");
        }

        if (MaxPerMonth is < 0 or > 1000)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"max_per_month must be between 0 (off) and 1000 (got {MaxPerMonth})");
        }

        if (Cooldown < TimeSpan.Zero || Cooldown > TimeSpan.FromDays(31) || Cooldown.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"cooldown must be 0 to 31 days in whole milliseconds (got {Cooldown})");
        }
    }
}
