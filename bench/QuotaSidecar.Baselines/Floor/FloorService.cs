using System.Diagnostics;
using Grpc.Core;
using QuotaSidecar.Baselines.Stats;
using QuotaSidecar.Baselines.V1;

namespace QuotaSidecar.Baselines.Floor;

/// <summary>The floor: an empty unary call, so its latency is the transport's and gRPC's own cost.</summary>
internal sealed class FloorService(HandlerStats stats) : V1.Floor.FloorBase
{
    private static readonly PingReply Reply = new();
    private static readonly Task<PingReply> Completed = Task.FromResult(Reply);

    public override Task<PingReply> Ping(PingRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        stats.Handled(started);
        return Completed;
    }
}
