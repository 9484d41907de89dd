namespace QuotaSidecar.Core.Events;

/// <summary>Auto-recharge policies, kept with the account in the store (docs/design.md#auto-recharge).</summary>
public interface IRechargePolicies
{
    /// <summary>Sets the account's policy (NotFound for an unknown account) and decides at once, so an account already
    /// at or below the new threshold gets its request now.</summary>
    ValueTask<RechargeState> SetRechargePolicyAsync(RechargePolicy policy, CancellationToken cancellationToken = default);

    /// <summary>The account's policy and counters (NotFound for an unknown account).</summary>
    ValueTask<RechargeState> GetRechargePolicyAsync(string accountId, CancellationToken cancellationToken = default);
}
