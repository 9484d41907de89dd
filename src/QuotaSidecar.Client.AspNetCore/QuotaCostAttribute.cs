namespace QuotaSidecar.Client.AspNetCore;

/// <summary>
/// The credits a call of this gRPC method (on the service's implementation method, or its class) or HTTP endpoint
/// (on the handler, or added with <c>RequireQuota(cost)</c>) costs. Wins over <see cref="QuotaAuthorizationOptions.Costs"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class QuotaCostAttribute : Attribute
{
    /// <summary>A cost of <paramref name="cost"/> credits, 1..2^53.</summary>
    public QuotaCostAttribute(long cost)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cost, 1);
        Cost = cost;
    }

    /// <summary>Credits per call.</summary>
    public long Cost { get; }
}
