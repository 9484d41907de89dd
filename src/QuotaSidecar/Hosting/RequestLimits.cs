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
                    TokensPerPeriod = Refill(limits.RequestsPerSecondPerConnection).Tokens,
                    ReplenishmentPeriod = Refill(limits.RequestsPerSecondPerConnection).Period,
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

    /// <summary>The bucket's refill for a rate: a tenth every 100 ms when that is a whole number of tokens (smooth), else
    /// the whole rate once a second (exact: 25/s must not become 20/s, nor 1/s become 10/s).</summary>
    internal static (int Tokens, TimeSpan Period) Refill(int perSecond) =>
        perSecond % 10 == 0 ? (perSecond / 10, TimeSpan.FromMilliseconds(100)) : (perSecond, TimeSpan.FromSeconds(1));

    private static bool IsGrpc(HttpContext context) =>
        context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
}
