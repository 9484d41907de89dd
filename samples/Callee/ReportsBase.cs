using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Callee;

/// <summary>
/// What generated code would be for the Reports service: virtual handlers, and how the gRPC server binds them (it
/// looks for overrides of the methods declared here, so attributes such as [QuotaCost] go on the overrides).
/// </summary>
[BindServiceMethod(typeof(ReportsBase), nameof(BindService))]
public abstract class ReportsBase
{
    public virtual Task<StringValue> Render(StringValue request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "Render is not implemented"));

    public static void BindService(ServiceBinderBase binder, ReportsBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(ReportsContract.Render, service is null ? null : service.Render);
    }
}
