using Grpc.Core;
using QuotaSidecar.Baselines.V1;

namespace QuotaSidecar.Baselines.Stats;

/// <summary>Hands the load tool this server's handler times and Redis calls since its previous call.</summary>
internal sealed class StatsService(HandlerStats stats) : V1.Stats.StatsBase
{
    public override Task<IntervalReply> Interval(IntervalRequest request, ServerCallContext context)
    {
        var (count, p50, p99, redisCalls) = stats.Interval();
        return Task.FromResult(new IntervalReply { HandlerCount = count, HandlerP50Us = p50, HandlerP99Us = p99, RedisCalls = redisCalls });
    }
}
