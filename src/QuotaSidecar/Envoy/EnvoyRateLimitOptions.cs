namespace QuotaSidecar.Envoy;

/// <summary>How <c>ShouldRateLimit</c> reads a descriptor.</summary>
public sealed class EnvoyRateLimitOptions
{
    /// <summary>Descriptor entry key whose value is the account. Descriptors without it are not charged.</summary>
    /// <value>The default value is <c>quota_account</c>.</value>
    public string AccountKey { get; set; } = "quota_account";

    /// <summary>Descriptor entry key whose value is the cost; without it the cost is <c>hits_addend</c> (0 means 1).</summary>
    /// <value>The default value is <c>quota_cost</c>.</value>
    public string CostKey { get; set; } = "quota_cost";
}
