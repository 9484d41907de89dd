using Microsoft.AspNetCore.Http;

namespace QuotaSidecar.Client.AspNetCore;

/// <summary>How a call is mapped to an account and a cost, and how a denial is answered.</summary>
public sealed class QuotaAuthorizationOptions
{
    /// <summary>The request header (gRPC metadata key) that names the account, when neither <see cref="AccountClaim"/>
    /// nor <see cref="AccountResolver"/> is set.</summary>
    /// <value>The default value is <c>x-quota-account</c>.</value>
    public string AccountHeader { get; set; } = "x-quota-account";

    /// <summary>A claim type of the authenticated caller whose value is the account (e.g. <c>tenant_id</c>); when set,
    /// the header is not read. Put <c>UseAuthentication</c> before the endpoints.</summary>
    public string? AccountClaim { get; set; }

    /// <summary>Custom mapping of a request to its account (null: none); when set, the header and the claim are not read.</summary>
    public Func<HttpContext, string?>? AccountResolver { get; set; }

    /// <summary>
    /// Costs by gRPC method (<c>/package.Service/Method</c>) or HTTP route (<c>"GET /reports/{id}"</c>, or
    /// <c>"/reports/{id}"</c> for any method), used when the method or endpoint has no <see cref="QuotaCostAttribute"/>.
    /// </summary>
    public Dictionary<string, long> Costs { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Cost of a call that neither an attribute nor <see cref="Costs"/> prices. Null: such gRPC methods are not charged
    /// (health checks, reflection) and such HTTP endpoints with <c>RequireQuota()</c> cost 1.
    /// </summary>
    public long? DefaultCost { get; set; }

    /// <summary>HTTP status of a denial: 429 (Too Many Requests) or 402 (Payment Required). gRPC answers RESOURCE_EXHAUSTED.</summary>
    /// <value>The default value is 429.</value>
    public int DeniedStatusCode { get; set; } = StatusCodes.Status429TooManyRequests;

    /// <summary>Response header (gRPC trailer) carrying the reason of a denial: <c>insufficient_credits</c>,
    /// <c>unknown_account</c>, <c>account_suspended</c>, <c>store_unavailable</c> or <c>missing_account</c>.</summary>
    /// <value>The default value is <c>x-quota-denied-reason</c>.</value>
    public string ReasonHeader { get; set; } = "x-quota-denied-reason";

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(AccountHeader) && AccountClaim is null && AccountResolver is null)
        {
            throw new ArgumentException("QuotaAuthorizationOptions: set AccountHeader, AccountClaim or AccountResolver so calls map to an account");
        }

        if (DeniedStatusCode is not (StatusCodes.Status402PaymentRequired or StatusCodes.Status429TooManyRequests))
        {
            throw new ArgumentException($"QuotaAuthorizationOptions.DeniedStatusCode must be 429 or 402 (got {DeniedStatusCode})");
        }

        if (DefaultCost is < 1)
        {
            throw new ArgumentException($"QuotaAuthorizationOptions.DefaultCost must be >= 1 or null (got {DefaultCost})");
        }

        foreach (var (key, cost) in Costs)
        {
            if (cost < 1)
            {
                throw new ArgumentException($"QuotaAuthorizationOptions.Costs[\"{key}\"] must be >= 1 (got {cost})");
            }
        }

        if (string.IsNullOrWhiteSpace(ReasonHeader))
        {
            throw new ArgumentException("QuotaAuthorizationOptions.ReasonHeader is required (e.g. x-quota-denied-reason)");
        }
    }
}
