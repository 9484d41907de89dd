namespace QuotaSidecar.Core.Events;

/// <summary>An account's recharge policy and where it stands (docs/design.md#auto-recharge).</summary>
/// <param name="Policy">The policy; null when none was set.</param>
/// <param name="RequestedThisMonth">Requests in the calendar month of the last one.</param>
/// <param name="LastRequestedAt">When the last request was made; null when never.</param>
/// <param name="Requests">Requests ever made (the last recharge id is <c>recharge-&lt;Requests&gt;</c>).</param>
public sealed record RechargeState(RechargePolicy? Policy, int RequestedThisMonth, DateTimeOffset? LastRequestedAt, long Requests);
