using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using QuotaSidecar.Client.AspNetCore;

namespace Callee;

/// <summary>Renders a report: 5 credits per call, charged by the quota interceptor. A report named "fail" fails,
/// so its hold is released.</summary>
[BindServiceMethod(typeof(ReportsService), nameof(BindService))]
public sealed class ReportsService
{
    [QuotaCost(5)]
    public Task<StringValue> Render(StringValue request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Value == "fail")
        {
            throw new RpcException(new Status(StatusCode.Internal, "the renderer failed"));
        }

        return Task.FromResult(new StringValue { Value = $"report '{request.Value}' rendered" });
    }

    /// <summary>What generated code would do: tell the gRPC server which methods this service has.</summary>
    public static void BindService(ServiceBinderBase binder, ReportsService? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(ReportsContract.Render, service is null ? null : service.Render);
    }
}
