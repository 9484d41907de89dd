namespace QuotaSidecar.Envoy;

/// <summary>
/// How Envoy's ext_authz checks and rate limit requests map to accounts and costs (section <c>Quota:Envoy</c>,
/// e.g. <c>Quota__Envoy__AccountHeader</c>). Validated at start. See docs/authorization.md.
/// </summary>
public sealed class EnvoyOptions
{
    public const string Section = "Quota:Envoy";

    /// <summary>Serve <c>envoy.service.auth.v3.Authorization</c> and <c>envoy.service.ratelimit.v3.RateLimitService</c>
    /// on the gRPC endpoint.</summary>
    /// <value>The default value is true.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Where ext_authz takes the account from.</summary>
    /// <value>The default value is <see cref="EnvoyAccountSource.Header"/>.</value>
    public EnvoyAccountSource AccountSource { get; set; } = EnvoyAccountSource.Header;

    /// <summary>The request header that names the account (with <see cref="EnvoyAccountSource.Header"/>). Case-insensitive.</summary>
    /// <value>The default value is <c>x-quota-account</c>.</value>
    public string AccountHeader { get; set; } = "x-quota-account";

    /// <summary>Accounts of callers identified by their mTLS principal (with <see cref="EnvoyAccountSource.SourcePrincipal"/>).</summary>
    public List<EnvoyPrincipalAccount> PrincipalAccounts { get; set; } = [];

    /// <summary>
    /// Optional request header carrying the cost. The caller chooses it, so set this only when the header is written by
    /// something you trust (your gateway) and stripped from outside traffic.
    /// </summary>
    /// <value>The default value is unset (costs come from the route and <see cref="PathCosts"/>).</value>
    public string? CostHeader { get; set; }

    /// <summary>The ext_authz <c>context_extensions</c> key a route can set (<c>check_settings</c>) to give its cost.</summary>
    /// <value>The default value is <c>quota_cost</c>.</value>
    public string CostContextKey { get; set; } = "quota_cost";

    /// <summary>Cost of a request no other rule prices, in credits (1..2^53).</summary>
    /// <value>The default value is 1.</value>
    public long DefaultCost { get; set; } = 1;

    /// <summary>Costs by path prefix (the longest matching prefix wins; the query string is not part of the path).</summary>
    public List<EnvoyPathCost> PathCosts { get; set; } = [];

    /// <summary>HTTP status of a request denied for credits: 429 (Too Many Requests) or 402 (Payment Required).</summary>
    /// <value>The default value is 429.</value>
    public int DeniedStatus { get; set; } = 429;

    /// <summary>Header that carries the reason of a denial (<c>insufficient_credits</c>, <c>missing_account</c>, ...).</summary>
    /// <value>The default value is <c>x-quota-denied-reason</c>.</value>
    public string ReasonHeader { get; set; } = "x-quota-denied-reason";

    /// <summary>Response header with this sidecar's estimate of the credits left; empty: not sent.</summary>
    /// <value>The default value is <c>x-quota-remaining</c>.</value>
    public string? BalanceHeader { get; set; } = "x-quota-remaining";

    /// <summary>How rate limit descriptors name the account and the cost.</summary>
    public EnvoyRateLimitOptions RateLimit { get; set; } = new();
}
