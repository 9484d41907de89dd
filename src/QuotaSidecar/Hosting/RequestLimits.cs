using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using QuotaSidecar.Configuration;
using QuotaSidecar.Metrics;

namespace QuotaSidecar.Hosting;

/// <summary>
/// Overload and abuse protection for gRPC calls: a global cap on requests in flight (beyond it, shed at once rather
/// than queue without bound) and a token bucket per connection. Rejections are gRPC RESOURCE_EXHAUSTED.
/// </summary>
internal static class RequestLimits
{
    public static IServiceCollection AddRequestLimits(this IServiceCollection services, LimitOptions limits)
    {
        services.AddRateLimiter(o =>
        {
            var inFlight = PartitionedRateLimiter.Create<HttpContext, string>(context => IsGrpc(context)
                ? RateLimitPartition.GetConcurrencyLimiter("grpc", _ => new ConcurrencyLimiterOptions { PermitLimit = limits.MaxConcurrentRequests, QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter("other"));
            var perConnection = PartitionedRateLimiter.Create<HttpContext, string>(context => IsGrpc(context) && limits.RequestsPerSecondPerConnection > 0
                ? RateLimitPartition.GetTokenBucketLimiter(context.Connection.Id ?? "", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.RequestsPerSecondPerConnection,
                    TokensPerPeriod = Math.Max(1, limits.RequestsPerSecondPerConnection / 10),
                    ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                })
                : RateLimitPartition.GetNoLimiter("other"));
            o.GlobalLimiter = PartitionedRateLimiter.CreateChained(inFlight, perConnection);
            o.OnRejected = (context, _) =>
            {
                context.HttpContext.RequestServices.GetRequiredService<HostMetrics>().Shed();

                // A trailers-only gRPC response, so clients see RESOURCE_EXHAUSTED rather than a bare HTTP 503.
                var response = context.HttpContext.Response;
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "application/grpc";
                response.Headers["grpc-status"] = "8";
                response.Headers["grpc-message"] = Uri.EscapeDataString("sidecar overloaded: too many requests in flight or too many per second on this connection; retry with backoff");
                return ValueTask.CompletedTask;
            };
        });
        return services;
    }

    private static bool IsGrpc(HttpContext context) =>
        context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
}
