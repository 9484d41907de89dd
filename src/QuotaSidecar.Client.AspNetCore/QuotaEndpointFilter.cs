using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace QuotaSidecar.Client.AspNetCore;

/// <summary>
/// Charges an HTTP endpoint (added by <c>RequireQuota()</c>): reserves its cost for the caller's account before the
/// handler, commits when the handler returns a result below 400, releases when it throws or fails. Answers 401 (no
/// account), <see cref="QuotaAuthorizationOptions.DeniedStatusCode"/> (denied) or 503 (the sidecar did not answer)
/// as problem details, with the reason in <see cref="QuotaAuthorizationOptions.ReasonHeader"/>.
/// </summary>
internal sealed class QuotaEndpointFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        var gate = new QuotaGate(services.GetRequiredService<IOptions<QuotaAuthorizationOptions>>().Value);
        var logger = services.GetRequiredService<ILogger<QuotaEndpointFilter>>();
        var endpoint = http.GetEndpoint();
        var operation = $"{http.Request.Method} {(endpoint as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path}";
        var cost = gate.Cost(endpoint, null, http.Request.Method, unpriced: 1)!.Value;
        if (gate.Account(http) is not { } account)
        {
            return Refuse(http, gate, StatusCodes.Status401Unauthorized, QuotaGate.MissingAccount, $"{gate.AccountSource} is required: it names the account charged for {operation}");
        }

        QuotaHold hold;
        try
        {
            hold = await services.GetRequiredService<IQuotaClient>().ReserveAsync(account, cost, new ReserveOptions { Labels = QuotaGate.Labels(operation) }, http.RequestAborted);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            AspNetCoreLog.SidecarUnavailable(logger, operation, e.Status.ToString());
            return Refuse(http, gate, StatusCodes.Status503ServiceUnavailable, QuotaGate.SidecarUnavailable, "the quota sidecar did not answer; try again");
        }

        await using (hold)
        {
            if (!hold.Granted)
            {
                var reason = QuotaGate.Reason(hold.DenyReason);
                AspNetCoreLog.Denied(logger, operation, account, cost, reason);
                return Refuse(http, gate, gate.Options.DeniedStatusCode, reason, $"quota denied: {reason} (account '{account}', cost {cost})");
            }

            if (hold.ShadowDenied)
            {
                var reason = QuotaGate.Reason(hold.ShadowReason);
                AspNetCoreLog.ShadowDenied(logger, operation, account, cost, reason);
                http.Response.Headers[QuotaGate.ShadowHeader] = reason;
            }

            http.Features.Set<IQuotaHoldFeature>(new QuotaHoldFeature(hold));
            var result = await next(context); // throws: disposing the hold releases it
            var status = (result as IStatusCodeHttpResult)?.StatusCode ?? http.Response.StatusCode;
            if (status < 400 && hold.State == QuotaHoldState.Open)
            {
                try
                {
                    await hold.CommitAsync(hold.Amount, CancellationToken.None);
                }
                catch (RpcException e)
                {
                    AspNetCoreLog.CommitFailed(logger, hold.ReservationId, operation, e);
                }
            }

            return result;
        }
    }

    private static ProblemHttpResult Refuse(HttpContext http, QuotaGate gate, int status, string reason, string detail)
    {
        http.Response.Headers[gate.Options.ReasonHeader] = reason;
        return TypedResults.Problem(detail, statusCode: status, title: "Quota denied", extensions: new Dictionary<string, object?> { ["reason"] = reason });
    }
}
