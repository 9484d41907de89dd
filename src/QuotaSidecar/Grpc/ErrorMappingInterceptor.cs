using Grpc.Core;
using Grpc.Core.Interceptors;
using QuotaSidecar.Core;

namespace QuotaSidecar.Grpc;

/// <summary>Turns the engine's and ledgers' <see cref="QuotaException"/> into the gRPC status the contract names.</summary>
internal sealed class ErrorMappingInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (QuotaException e)
        {
            throw new RpcException(new Status(Map(e.Error), e.Message));
        }
        catch (OverflowException)
        {
            // Checked arithmetic in the engine: the request would push a total past 2^63; nothing was changed.
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the amount would overflow the account's totals; use smaller amounts"));
        }
    }

    public static StatusCode Map(QuotaError error) => error switch
    {
        QuotaError.InvalidArgument => StatusCode.InvalidArgument,
        QuotaError.NotFound => StatusCode.NotFound,
        QuotaError.FailedPrecondition => StatusCode.FailedPrecondition,
        QuotaError.AlreadyExists => StatusCode.AlreadyExists,
        QuotaError.Unavailable => StatusCode.Unavailable,
        QuotaError.Forgotten => StatusCode.OutOfRange,
        _ => StatusCode.Unknown,
    };
}
