using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace QuotaSidecar.Client.AspNetCore;

/// <summary>
/// Charges gRPC calls: maps the caller to an account (header, claim or resolver) and the method to a cost
/// (<see cref="QuotaCostAttribute"/> on the implementation, <see cref="QuotaAuthorizationOptions.Costs"/> or
/// <see cref="QuotaAuthorizationOptions.DefaultCost"/>; unpriced methods pass), reserves before the handler, commits
/// when it succeeds and releases when it fails. Errors: UNAUTHENTICATED (no account), RESOURCE_EXHAUSTED (denied; the
/// reason in the message and the <see cref="QuotaAuthorizationOptions.ReasonHeader"/> trailer), UNAVAILABLE (the
/// sidecar did not answer: fail closed). Register it with <c>services.AddGrpc(o => o.Interceptors.Add&lt;QuotaServerInterceptor&gt;())</c>.
/// </summary>
public sealed class QuotaServerInterceptor : Interceptor
{
    private readonly IQuotaClient _quota;
    private readonly QuotaGate _gate;
    private readonly ILogger _logger;

    /// <summary>Created per call by the gRPC server from dependency injection.</summary>
    public QuotaServerInterceptor(IQuotaClient quota, IOptions<QuotaAuthorizationOptions> options, ILogger<QuotaServerInterceptor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _quota = quota;
        _gate = new QuotaGate(options.Value);
        _logger = logger;
    }

    /// <inheritdoc/>
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, () => continuation(request, context));

    /// <inheritdoc/>
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, () => continuation(requestStream, context));

    /// <inheritdoc/>
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, async () =>
        {
            await continuation(request, responseStream, context);
            return true;
        });

    /// <inheritdoc/>
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, async () =>
        {
            await continuation(requestStream, responseStream, context);
            return true;
        });

    private async Task<T> GuardAsync<T>(ServerCallContext context, Func<Task<T>> handler)
    {
        var http = context.GetHttpContext();
        if (_gate.Cost(http.GetEndpoint(), context.Method, http.Request.Method, unpriced: null) is not { } cost)
        {
            return await handler();
        }

        var account = _gate.Account(http) ?? throw Refuse(
            context, StatusCode.Unauthenticated, QuotaGate.MissingAccount, $"{_gate.AccountSource} is required: it names the account charged for {context.Method}");

        QuotaHold hold;
        try
        {
            hold = await _quota.ReserveAsync(account, cost, new ReserveOptions { Labels = QuotaGate.Labels(context.Method) }, context.CancellationToken);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            AspNetCoreLog.SidecarUnavailable(_logger, context.Method, e.Status.ToString());
            throw Refuse(context, StatusCode.Unavailable, QuotaGate.SidecarUnavailable, "the quota sidecar did not answer; try again");
        }

        await using (hold)
        {
            if (!hold.Granted)
            {
                var reason = QuotaGate.Reason(hold.DenyReason);
                AspNetCoreLog.Denied(_logger, context.Method, account, cost, reason);
                throw Refuse(context, StatusCode.ResourceExhausted, reason, $"quota denied: {reason} (account '{account}', cost {cost})");
            }

            if (hold.ShadowDenied)
            {
                var reason = QuotaGate.Reason(hold.ShadowReason);
                AspNetCoreLog.ShadowDenied(_logger, context.Method, account, cost, reason);
                context.ResponseTrailers.Add(QuotaGate.ShadowHeader, reason);
            }

            http.Features.Set<IQuotaHoldFeature>(new QuotaHoldFeature(hold));
            var response = await handler(); // throws: disposing the hold releases it
            if (context.Status.StatusCode == StatusCode.OK && hold.State == QuotaHoldState.Open)
            {
                try
                {
                    // Not the call's token: the work is done and must be charged even if the caller has gone.
                    await hold.CommitAsync(hold.Amount, CancellationToken.None);
                }
                catch (RpcException e)
                {
                    AspNetCoreLog.CommitFailed(_logger, hold.ReservationId, context.Method, e);
                }
            }

            return response;
        }
    }

    private RpcException Refuse(ServerCallContext context, StatusCode code, string reason, string message)
    {
        context.ResponseTrailers.Add(_gate.Options.ReasonHeader.ToLowerInvariant(), reason);
        return new RpcException(new Status(code, message));
    }
}
