using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.LoadTest.Load;

namespace QuotaSidecar.LoadTest.Soak;

/// <summary>
/// Consume 1 credit with a fresh request id on every call: the sidecar remembers each id for idempotency, so this is
/// the Consume that can grow the sidecar's memory (the plain Consume workload sends none and retains nothing).
/// </summary>
internal sealed class ConsumeWithRequestIdWorkload(Quota.QuotaClient client, string account) : Workload
{
    // A prefix per run so ids never repeat across runs against the same Redis.
    private readonly string _prefix = "soak-" + Guid.NewGuid().ToString("N")[..8] + "-";
    private long _next;

    public override string Name => "consume+id";

    public override async Task RunAsync(long intended, RunRecorder recorder)
    {
        var id = _prefix + Interlocked.Increment(ref _next).ToString("x", CultureInfo.InvariantCulture);
        var sent = Stopwatch.GetTimestamp();
        try
        {
            var consumed = await client.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 1, RequestId = id });
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
