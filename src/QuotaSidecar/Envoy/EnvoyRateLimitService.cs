using System.Globalization;
using Grpc.Core;
using QuotaSidecar.Api.Envoy.Config.Core.V3;
using QuotaSidecar.Api.Envoy.RateLimit.V3;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Grpc;
using Code = QuotaSidecar.Api.Envoy.RateLimit.V3.RateLimitResponse.Types.Code;
using DescriptorStatus = QuotaSidecar.Api.Envoy.RateLimit.V3.RateLimitResponse.Types.DescriptorStatus;

namespace QuotaSidecar.Envoy;

/// <summary>
/// Envoy's global rate limit API (<c>envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit</c>) over credits:
/// each descriptor with an account entry is charged its cost (the cost entry, else <c>hits_addend</c>, 0 meaning 1).
/// A request is charged all or nothing: when any descriptor is denied, nothing is charged and the answer is
/// OVER_LIMIT. Descriptors without an account entry are not ours and answer OK.
/// </summary>
internal sealed class EnvoyRateLimitService(QuotaEngine engine, SettingsReload settings, AccountAllowList allowed, ShadowMode shadow, ILogger<EnvoyRateLimitService> logger)
    : RateLimitService.RateLimitServiceBase
{
    public override async Task<RateLimitResponse> ShouldRateLimit(RateLimitRequest request, ServerCallContext context)
    {
        var options = settings.Current.Envoy.Options; // once per request: a reload applies to the next one
        var charges = Charges(request, options);
        var response = new RateLimitResponse { OverallCode = Code.Ok };
        for (var i = 0; i < charges.Length; i++)
        {
            response.Statuses.Add(new DescriptorStatus { Code = Code.Ok });
        }

        long? balance = null;
        var denied = (Index: -1, Reason: DenyReason.None);
        var charged = charges.Count(c => c.Account is not null);
        var refused = Array.FindIndex(charges, c => c.Account is { } a && !allowed.Allows(a));
        if (refused >= 0)
        {
            // An account this sidecar may not spend: nothing is charged, and the request is over the limit.
            return OverLimit(options, request, response, refused, charges[refused], DenialReasons.AccountNotAllowed);
        }

        if (charged == 1)
        {
            // The common case: one account, one Consume.
            var i = Array.FindIndex(charges, c => c.Account is not null);
            var pending = engine.ConsumeAsync(charges[i].Account!, charges[i].Cost, null, context.CancellationToken);
            var r = pending.IsCompletedSuccessfully ? pending.Result : await pending;
            balance = r.BalanceHint;
            response.Statuses[i].LimitRemaining = Remaining(r.BalanceHint);
            if (r.Decision != Decision.Granted && !Shadowed(response, charges[i], r.DenyReason))
            {
                denied = (i, r.DenyReason);
            }
        }
        else
        {
            denied = await ChargeAllOrNothingAsync(charges, response, context.CancellationToken);
        }

        if (denied.Index < 0)
        {
            if (balance is { } b && options.BalanceHeader is { Length: > 0 } balanceHeader)
            {
                response.ResponseHeadersToAdd.Add(new HeaderValue { Key = balanceHeader, Value = Math.Max(0, b).ToString(CultureInfo.InvariantCulture) });
            }

            return response;
        }

        return OverLimit(options, request, response, denied.Index, charges[denied.Index], DenialReasons.Of(denied.Reason));
    }

    /// <summary>Shadow mode: the denial of <paramref name="charge"/> is not enforced (nothing is charged to that account);
    /// the response tells the caller what enforcement would have said.</summary>
    private bool Shadowed(RateLimitResponse response, (string? Account, long Cost) charge, DenyReason reason)
    {
        if (!shadow.Overrides(charge.Account!, reason, charge.Cost, "rate limit"))
        {
            return false;
        }

        response.ResponseHeadersToAdd.Add(new HeaderValue { Key = ShadowMode.Header, Value = DenialReasons.Of(reason) });
        return true;
    }

    private RateLimitResponse OverLimit(EnvoyOptions options, RateLimitRequest request, RateLimitResponse response, int index, (string? Account, long Cost) charge, string reason)
    {
        EnvoyLog.OverLimit(logger, request.Domain, reason, charge.Account!, charge.Cost);
        response.OverallCode = Code.OverLimit;
        response.Statuses[index].Code = Code.OverLimit;
        response.ResponseHeadersToAdd.Add(new HeaderValue { Key = options.ReasonHeader, Value = reason });
        response.RawBody = Google.Protobuf.ByteString.CopyFromUtf8($"quota denied: {reason} (account '{charge.Account}', cost {charge.Cost})\n");
        return response;
    }

    // Several accounts: hold every cost first, then commit all, or release all when one is denied.
    private async Task<(int Index, DenyReason Reason)> ChargeAllOrNothingAsync((string? Account, long Cost)[] charges, RateLimitResponse response, CancellationToken cancellationToken)
    {
        var holds = new string?[charges.Length];
        var denied = (Index: -1, Reason: DenyReason.None);
        for (var i = 0; i < charges.Length && denied.Index < 0; i++)
        {
            if (charges[i].Account is not { } account)
            {
                continue;
            }

            var r = await engine.ReserveAsync(account, charges[i].Cost, null, null, cancellationToken);
            response.Statuses[i].LimitRemaining = Remaining(r.BalanceHint);
            if (r.Decision == Decision.Granted)
            {
                holds[i] = r.ReservationId;
            }
            else if (!Shadowed(response, charges[i], r.DenyReason))
            {
                denied = (i, r.DenyReason);
            }
        }

        for (var i = 0; i < holds.Length; i++)
        {
            if (holds[i] is { } id)
            {
                if (denied.Index < 0)
                {
                    engine.Commit(id, charges[i].Cost);
                }
                else
                {
                    engine.Release(id);
                }
            }
        }

        return denied;
    }

    private static (string? Account, long Cost)[] Charges(RateLimitRequest request, EnvoyOptions options)
    {
        if (string.IsNullOrEmpty(request.Domain))
        {
            throw Invalid("domain is required (the rate limit filter's domain, e.g. \"quota\")");
        }

        if (request.Descriptors.Count == 0)
        {
            throw Invalid("descriptors must have at least one descriptor");
        }

        var accountKey = options.RateLimit.AccountKey;
        var costKey = options.RateLimit.CostKey;
        var charges = new (string? Account, long Cost)[request.Descriptors.Count];
        var any = false;
        for (var i = 0; i < charges.Length; i++)
        {
            var entries = request.Descriptors[i].Entries;
            if (entries.Count == 0)
            {
                throw Invalid($"descriptors[{i}].entries must not be empty");
            }

            string? account = null;
            string? costText = null;
            for (var j = 0; j < entries.Count; j++)
            {
                var key = entries[j].Key;
                if (string.IsNullOrEmpty(key))
                {
                    throw Invalid($"descriptors[{i}].entries[{j}].key is required");
                }

                if (key == accountKey)
                {
                    account = entries[j].Value;
                    try
                    {
                        Validation.AccountId(account, $"descriptors[{i}].entries[{j}].value ({accountKey})");
                    }
                    catch (QuotaException e)
                    {
                        throw Invalid(e.Message);
                    }
                }
                else if (key == costKey)
                {
                    costText = entries[j].Value;
                    if (!long.TryParse(costText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > Validation.MaxAmount)
                    {
                        throw Invalid($"descriptors[{i}].entries[{j}].value ({costKey}) must be a whole number of credits, 1..{Validation.MaxAmount} (got '{costText}')");
                    }
                }
            }

            var cost = costText is not null ? long.Parse(costText, CultureInfo.InvariantCulture) : Math.Max(1, (long)request.HitsAddend);
            charges[i] = (account, cost);
            any |= account is not null;
        }

        return any ? charges : throw Invalid(
            $"descriptors: none has an entry with key '{accountKey}' (Quota:Envoy:RateLimit:AccountKey); add a rate limit action that sets it, e.g. request_headers with descriptor_key {accountKey}");
    }

    private static uint Remaining(long balanceHint) => (uint)Math.Clamp(balanceHint, 0, uint.MaxValue);

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
