using System.Globalization;
using Grpc.Core;
using QuotaSidecar.Api.Envoy.Auth.V3;
using QuotaSidecar.Api.Envoy.Config.Core.V3;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Grpc;
using HttpCode = QuotaSidecar.Api.Envoy.Type.V3.StatusCode;
using HttpStatus = QuotaSidecar.Api.Envoy.Type.V3.HttpStatus;
using RpcCode = Google.Rpc.Code;

namespace QuotaSidecar.Envoy;

/// <summary>
/// Envoy's external authorization API (<c>envoy.service.auth.v3.Authorization/Check</c>): each checked request is
/// charged up front (a Consume of its cost) to the account it names. Everything a request can get wrong is answered
/// with a denial, not a gRPC error, so an ext_authz filter with <c>failure_mode_allow</c> cannot let it through.
/// </summary>
internal sealed class ExtAuthzService(QuotaEngine engine, SettingsReload settings, AccountAllowList allowed, ShadowMode shadow, ILogger<ExtAuthzService> logger) : Authorization.AuthorizationBase
{
    /// <summary>On a denial: the account that refused, the request's own or an ancestor in its tree
    /// (docs/design.md#account-tree).</summary>
    public const string DeniedAccountHeader = "x-quota-denied-account";

    private static readonly Google.Rpc.Status Ok = new() { Code = (int)RpcCode.Ok };

    public override async Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
    {
        var rules = settings.Current.Envoy; // once per request: a reload applies to the next one, never half-way
        var attributes = request.Attributes;
        var http = attributes?.Request?.Http ?? throw new RpcException(new Status(
            StatusCode.InvalidArgument,
            "attributes.request.http is required: the sidecar answers Envoy's HTTP ext_authz filter, not the network one"));

        var account = rules.Account(attributes, http);
        if (account is null)
        {
            return Refuse(rules, http, "", 0, HttpCode.Forbidden, RpcCode.PermissionDenied, DenialReasons.MissingAccount, $"{rules.AccountField} is required: it names the account to charge");
        }

        try
        {
            Validation.AccountId(account, rules.AccountField);
        }
        catch (QuotaException e)
        {
            return Refuse(rules, http, "", 0, HttpCode.BadRequest, RpcCode.InvalidArgument, DenialReasons.InvalidAccount, e.Message);
        }

        if (!allowed.Allows(account))
        {
            return Refuse(rules, http, account, 0, HttpCode.Forbidden, RpcCode.PermissionDenied, DenialReasons.AccountNotAllowed, $"account '{account}' is not allowed on this sidecar (Quota:AllowedAccounts)");
        }

        if (!rules.TryCost(attributes, http, out var cost, out var costError))
        {
            return Refuse(rules, http, account, 0, HttpCode.BadRequest, RpcCode.InvalidArgument, DenialReasons.InvalidCost, costError!);
        }

        var pending = engine.ConsumeAsync(account, cost, null, context.CancellationToken);
        var result = pending.IsCompletedSuccessfully ? pending.Result : await pending;
        if (result.Decision == Decision.Granted)
        {
            return Allow(rules, account, result);
        }

        var reason = DenialReasons.Of(result.DenyReason);
        if (shadow.Overrides(account, result.DenyReason, cost, "ext_authz Check"))
        {
            // Shadow mode: let it through, charging nothing, and tell the upstream what enforcement would have said.
            var allowed = Allow(rules, account, result);
            allowed.OkResponse.Headers.Add(Overwrite(ShadowMode.Header, reason));
            return allowed;
        }

        var (status, code) = result.DenyReason switch
        {
            DenyReason.UnknownAccount or DenyReason.AccountSuspended => (HttpCode.Forbidden, RpcCode.PermissionDenied),
            DenyReason.StoreUnavailable => ((HttpCode)rules.Options.DeniedStatus, RpcCode.Unavailable),
            _ => ((HttpCode)rules.Options.DeniedStatus, RpcCode.ResourceExhausted),
        };
        var deniedBy = string.IsNullOrEmpty(result.DeniedAccountId) ? account : result.DeniedAccountId;
        var denied = Refuse(rules, http, account, cost, status, code, reason, $"quota denied: {reason} (account '{deniedBy}', cost {cost})");
        denied.DeniedResponse.Headers.Add(Overwrite(DeniedAccountHeader, deniedBy));
        if (rules.Options.BalanceHeader is { Length: > 0 } balanceHeader)
        {
            denied.DeniedResponse.Headers.Add(Overwrite(balanceHeader, Math.Max(0, result.BalanceHint).ToString(CultureInfo.InvariantCulture)));
        }

        return denied;
    }

    private static CheckResponse Allow(CheckRules rules, string account, ConsumeResult result)
    {
        var ok = new OkHttpResponse();

        // The upstream sees which account paid (overwriting whatever the caller sent under that name).
        ok.Headers.Add(Overwrite("x-quota-account", account));
        if (rules.Options.BalanceHeader is { Length: > 0 } balanceHeader)
        {
            ok.ResponseHeadersToAdd.Add(Overwrite(balanceHeader, Math.Max(0, result.BalanceHint).ToString(CultureInfo.InvariantCulture)));
        }

        if (result.LowBalance)
        {
            ok.ResponseHeadersToAdd.Add(Overwrite("x-quota-low-balance", "true"));
        }

        return new CheckResponse { Status = Ok, OkResponse = ok };
    }

    private CheckResponse Refuse(
        CheckRules rules,
        AttributeContext.Types.HttpRequest http, string account, long cost, HttpCode status, RpcCode code, string reason, string message)
    {
        EnvoyLog.CheckDenied(logger, http.Method, http.Path, reason, account, cost);
        var denied = new DeniedHttpResponse { Status = new HttpStatus { Code = status }, Body = message + "\n" };
        denied.Headers.Add(Overwrite(rules.Options.ReasonHeader, reason));
        denied.Headers.Add(Overwrite("content-type", "text/plain; charset=utf-8"));
        return new CheckResponse { Status = new Google.Rpc.Status { Code = (int)code, Message = message }, DeniedResponse = denied };
    }

    private static HeaderValueOption Overwrite(string key, string value) => new()
    {
        Header = new HeaderValue { Key = key, Value = value },
        AppendAction = HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd,
    };
}
