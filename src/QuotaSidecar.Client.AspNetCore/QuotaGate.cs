using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace QuotaSidecar.Client.AspNetCore;

/// <summary>The rules both the gRPC interceptor and the HTTP endpoint filter apply: who pays, how much, what a denial says.</summary>
internal sealed class QuotaGate(QuotaAuthorizationOptions options)
{
    public const string MissingAccount = "missing_account";
    public const string SidecarUnavailable = "sidecar_unavailable";

    /// <summary>The response header (a trailer on gRPC) of a call let through in shadow mode: the reason the sidecar
    /// would have denied it. The same name the sidecar's Envoy APIs use.</summary>
    public const string ShadowHeader = "x-quota-shadow-denied";

    public QuotaAuthorizationOptions Options { get; } = options;

    /// <summary>Where the account comes from, for messages.</summary>
    public string AccountSource => Options.AccountResolver is not null ? "an account (from the configured resolver)"
        : Options.AccountClaim is { } claim ? $"claim '{claim}'"
        : $"header '{Options.AccountHeader}'";

    /// <summary>The caller's account, or null when the request names none.</summary>
    public string? Account(HttpContext http)
    {
        if (Options.AccountResolver is { } resolve)
        {
            return NullIfBlank(resolve(http));
        }

        if (Options.AccountClaim is { } claim)
        {
            return NullIfBlank(http.User.FindFirst(claim)?.Value);
        }

        return NullIfBlank(http.Request.Headers[Options.AccountHeader].ToString());
    }

    /// <summary>
    /// The cost of a call: the endpoint's <see cref="QuotaCostAttribute"/>, else the configured cost of the gRPC method
    /// or route, else <see cref="QuotaAuthorizationOptions.DefaultCost"/>, else <paramref name="unpriced"/>.
    /// </summary>
    public long? Cost(Endpoint? endpoint, string? grpcMethod, string httpMethod, long? unpriced)
    {
        if (endpoint?.Metadata.GetMetadata<QuotaCostAttribute>() is { } attribute)
        {
            return attribute.Cost;
        }

        if (grpcMethod is not null && Options.Costs.TryGetValue(grpcMethod, out var methodCost))
        {
            return methodCost;
        }

        if (grpcMethod is null && (endpoint as RouteEndpoint)?.RoutePattern.RawText is { } route)
        {
            var pattern = route.StartsWith('/') ? route : "/" + route;
            if (Options.Costs.TryGetValue($"{httpMethod} {pattern}", out var routeCost) || Options.Costs.TryGetValue(pattern, out routeCost))
            {
                return routeCost;
            }
        }

        return Options.DefaultCost ?? unpriced;
    }

    public static string Reason(QuotaDenyReason reason) => reason switch
    {
        QuotaDenyReason.InsufficientCredits => "insufficient_credits",
        QuotaDenyReason.UnknownAccount => "unknown_account",
        QuotaDenyReason.AccountSuspended => "account_suspended",
        QuotaDenyReason.StoreUnavailable => "store_unavailable",
        QuotaDenyReason.AncestorInsufficientCredits => "ancestor_insufficient_credits",
        _ => "denied",
    };

    /// <summary>A label value for the usage records: at most the 64 characters the sidecar accepts.</summary>
    public static IReadOnlyDictionary<string, string> Labels(string operation) =>
        new Dictionary<string, string>(1) { ["operation"] = operation.Length <= 64 ? operation : operation[^64..] };

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
