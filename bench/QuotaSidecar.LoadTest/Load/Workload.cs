using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Baselines.V1;

namespace QuotaSidecar.LoadTest.Load;

/// <summary>What one operation of a run does. Every RPC it makes is recorded as one request.</summary>
internal abstract class Workload
{
    /// <summary>Short name used in the tables.</summary>
    public abstract string Name { get; }

    /// <summary>Runs one operation whose first request was meant to be sent at <paramref name="intended"/>
    /// (a <see cref="Stopwatch"/> timestamp); later requests of the operation count from their own send.</summary>
    public abstract Task RunAsync(long intended, RunRecorder recorder);

    public static Workload Ping(GrpcChannel channel) => new PingWorkload(new Floor.FloorClient(channel));

    public static Workload ReserveCommit(GrpcChannel channel, string account) => new ReserveCommitWorkload(new Quota.QuotaClient(channel), account);

    public static Workload Consume(GrpcChannel channel, string account) => new ConsumeWorkload(new Quota.QuotaClient(channel), account);

    private sealed class PingWorkload(Floor.FloorClient client) : Workload
    {
        private static readonly PingRequest Request = new();

        public override string Name => "ping";

        public override async Task RunAsync(long intended, RunRecorder recorder)
        {
            var sent = Stopwatch.GetTimestamp();
            try
            {
                await client.PingAsync(Request);
                recorder.Completed(intended, sent);
            }
            catch (RpcException e)
            {
                recorder.Error(e);
            }
        }
    }

    /// <summary>Reserve 1 credit with a sidecar-made id, then Commit it: two requests. The account may be a flat one
    /// or the leaf of an account path (then both requests charge every node of the path).</summary>
    private sealed class ReserveCommitWorkload(Quota.QuotaClient client, string account) : Workload
    {
        public override string Name => "reserve+commit";

        public override async Task RunAsync(long intended, RunRecorder recorder)
        {
            try
            {
                var sent = Stopwatch.GetTimestamp();
                var reserved = await client.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 1 });
                recorder.CompletedReserve(intended, sent);
                if (reserved.Decision != Decision.Granted)
                {
                    recorder.Deny();
                    return;
                }

                sent = Stopwatch.GetTimestamp();
                await client.CommitAsync(new CommitRequest { ReservationId = reserved.ReservationId, Amount = 1 });
                recorder.Completed(sent, sent);
            }
            catch (RpcException e)
            {
                recorder.Error(e);
            }
        }
    }

    private sealed class ConsumeWorkload(Quota.QuotaClient client, string account) : Workload
    {
        public override string Name => "consume";

        public override async Task RunAsync(long intended, RunRecorder recorder)
        {
            var sent = Stopwatch.GetTimestamp();
            try
            {
                var consumed = await client.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 1 });
                recorder.Completed(intended, sent);
                if (consumed.Decision != Decision.Granted)
                {
                    recorder.Deny();
                }
            }
            catch (RpcException e)
            {
                recorder.Error(e);
            }
        }
    }
}
