using Microsoft.Extensions.Logging;

namespace QuotaSidecar.Envoy;

internal static partial class EnvoyLog
{
    [LoggerMessage(800, LogLevel.Information, "Serving Envoy ext_authz (envoy.service.auth.v3.Authorization) and rate limit (envoy.service.ratelimit.v3.RateLimitService) on the gRPC endpoint; account from {AccountSource}, rate limit descriptor keys {AccountKey}/{CostKey}")]
    public static partial void Serving(ILogger logger, string accountSource, string accountKey, string costKey);

    [LoggerMessage(801, LogLevel.Debug, "ext_authz denied {Method} {Path}: {Reason} (account '{Account}', cost {Cost})")]
    public static partial void CheckDenied(ILogger logger, string method, string path, string reason, string account, long cost);

    [LoggerMessage(802, LogLevel.Debug, "Rate limit OVER_LIMIT in domain {Domain}: {Reason} (account '{Account}', cost {Cost})")]
    public static partial void OverLimit(ILogger logger, string domain, string reason, string account, long cost);
}
