using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using QuotaSidecar.Client.AspNetCore;

namespace Callee;

/// <summary>Renders a report: 5 credits per call, charged by the quota interceptor. A report named "fail" fails,
/// so its hold is released.</summary>
public sealed class ReportsService : ReportsBase
{
    [QuotaCost(5)]
    public override Task<StringValue> Render(StringValue request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Value == "fail")
        {
            throw new RpcException(new Status(StatusCode.Internal, "the renderer failed"));
        }

        return Task.FromResult(new StringValue { Value = $"report '{request.Value}' rendered" });
    }
}
