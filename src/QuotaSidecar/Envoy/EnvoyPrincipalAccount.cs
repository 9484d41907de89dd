namespace QuotaSidecar.Envoy;

/// <summary>One caller identity and the account it spends.</summary>
public sealed class EnvoyPrincipalAccount
{
    /// <summary>The principal as Envoy reports it, e.g. <c>spiffe://cluster.local/ns/shop/sa/checkout</c>.</summary>
    public string Principal { get; set; } = "";

    /// <summary>The account charged for that caller's requests.</summary>
    public string Account { get; set; } = "";
}
