using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace QuotaSidecar.Client.AspNetCore.Tests;

/// <summary>The service the interceptor guards in the tests: priced by attribute, by configuration, or not at all.</summary>
public sealed class TestReports : TestReportsBase
{
    [QuotaCost(5)]
    public override Task<StringValue> Render(StringValue request, ServerCallContext context) => Task.FromResult(new StringValue { Value = "rendered " + request?.Value });

    [QuotaCost(5)]
    public override Task<StringValue> Fail(StringValue request, ServerCallContext context) => throw new InvalidOperationException("the renderer crashed");

    /// <summary>No attribute and no configured cost: not charged.</summary>
    public override Task<StringValue> Free(StringValue request, ServerCallContext context) => Task.FromResult(new StringValue { Value = "free" });

    /// <summary>Priced by configuration (<c>/tests.Reports/Priced</c>).</summary>
    public override Task<StringValue> Priced(StringValue request, ServerCallContext context) => Task.FromResult(new StringValue { Value = "priced" });

    /// <summary>Holds 10, then commits what it actually used: 3.</summary>
    [QuotaCost(10)]
    public override async Task<StringValue> Measured(StringValue request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.GetHttpContext().GetQuotaHold()!.CommitAsync(3);
        return new StringValue { Value = "measured" };
    }

    /// <summary>Streams three pages, or fails after the first when asked to: a streaming call is charged once, on completion.</summary>
    [QuotaCost(3)]
    public override async Task Pages(StringValue request, IServerStreamWriter<StringValue> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        for (var page = 1; page <= 3; page++)
        {
            if (page == 2 && request?.Value == "fail")
            {
                throw new RpcException(new Status(StatusCode.DataLoss, "the second page is lost"));
            }

            await responseStream.WriteAsync(new StringValue { Value = $"page {page}" });
        }
    }
}
