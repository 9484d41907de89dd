using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using QuotaSidecar.Configuration;
using QuotaSidecar.Metrics;

namespace QuotaSidecar.Hosting;

/// <summary>
/// Overload and abuse protection for gRPC calls: a global cap on requests in flight (beyond it, shed at once rather
/// than queue without bound) and a token bucket per connection. Rejections are gRPC RESOURCE_EXHAUSTED (<see cref="ShedAnswer"/>).
/// </summary>
internal static class RequestLimits
{
    public static IServiceCollection AddRequestLimits(this IServiceCollection services, LimitOptions limits, int maxReceiveMessageSize)
    {
        services.AddSingleton(sp => new ShedAnswer(
            sp.GetRequiredService<HostMetrics>(), sp.GetRequiredService<TimeProvider>(), limits.ShedDrainTimeout, maxReceiveMessageSize, sp.GetRequiredService<ILogger<ShedAnswer>>()));
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
            // RESOURCE_EXHAUSTED once the request has been read: see ShedAnswer for why an answer must not beat the
            // client's END_STREAM.
            o.OnRejected = (context, aborted) =>
                context.HttpContext.RequestServices.GetRequiredService<ShedAnswer>().AnswerAsync(context.HttpContext, aborted);
        });
        return services;
    }

    private static bool IsGrpc(HttpContext context) =>
        context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
}
