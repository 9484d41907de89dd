using QuotaSidecar.Core;
using QuotaSidecar.Core.Events;

namespace QuotaSidecar.Events;

/// <summary>Recharge policies of a ledger the host does not know (a test's wrapper): none can be kept.</summary>
internal sealed class NoRechargePolicies : IRechargePolicies
{
    public ValueTask<RechargeState> SetRechargePolicyAsync(RechargePolicy policy, CancellationToken cancellationToken = default) =>
        throw Unsupported();

    public ValueTask<RechargeState> GetRechargePolicyAsync(string accountId, CancellationToken cancellationToken = default) =>
        throw Unsupported();

    private static QuotaException Unsupported() =>
        new(QuotaError.FailedPrecondition, "this store keeps no recharge policies; use the embedded or Redis store");
}
