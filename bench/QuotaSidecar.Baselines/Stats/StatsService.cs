using Grpc.Core;
using QuotaSidecar.Baselines.V1;

namespace QuotaSidecar.Baselines.Stats;

/// <summary>Hands the load tool this server's handler times and Redis calls since its previous call.</summary>
internal sealed class StatsService(HandlerStats stats) : V1.Stats.StatsBase
{
    public override Task<IntervalReply> Interval(IntervalRequest request, ServerCallContext context)
    {
        var (handler, redisCalls) = stats.Interval();
        var reply = new IntervalReply { RedisCalls = redisCalls };
        foreach (var (upper, count) in handler)
        {
            reply.HandlerUpperUs.Add(upper);
            reply.HandlerCount.Add(count);
        }

        return Task.FromResult(reply);
    }
}
