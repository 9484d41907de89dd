using System.Diagnostics;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Metrics;
using CoreDecision = QuotaSidecar.Core.Engine.Decision;

namespace QuotaSidecar.Grpc;

/// <summary>
/// The hot path served to the application next to the sidecar: thin mapping between the protobuf messages and the
/// engine, timing each handler for the server-side latency histogram.
/// </summary>
internal sealed class QuotaService(QuotaEngine engine, HostMetrics metrics, AccountAllowList allowed, ShadowMode shadow) : Quota.QuotaBase
{
    public override async Task<ReserveResponse> Reserve(ReserveRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            allowed.Check(request.AccountId);
            var labels = RequestValidation.Labels(request.Labels, "labels");
            var pending = engine.ReserveAsync(request.AccountId, request.Amount, request.ReservationId, RequestValidation.Ttl(request.Ttl), context.CancellationToken);
            var r = pending.IsCompletedSuccessfully ? pending.Result : await pending;
            if (labels is not null && r.Decision == CoreDecision.Granted)
            {
                engine.LabelHold(r.ReservationId, labels); // before the answer: no Commit can come first
            }

            var response = new ReserveResponse
            {
                Decision = Map(r.Decision),
                DenyReason = (Api.V1.DenyReason)r.DenyReason,
                ReservationId = r.ReservationId,
                Amount = r.Amount,
                BalanceHint = r.BalanceHint,
                LowBalance = r.LowBalance,
                Overage = r.Overage,
                DeniedAccountId = r.DeniedAccountId ?? "",
            };
            if (r.Decision == CoreDecision.Granted)
            {
                response.ExpiresAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(r.ExpiresAt);
            }
            else if (shadow.Overrides(request.AccountId, r.DenyReason, request.Amount, "Reserve"))
            {
                // Nothing is held: no reservation to commit or release.
                response.Decision = Api.V1.Decision.Granted;
                response.DenyReason = Api.V1.DenyReason.Unspecified;
                response.ShadowDenied = true;
                response.ShadowReason = (Api.V1.DenyReason)r.DenyReason;
                response.ReservationId = "";
                response.Amount = 0;
                response.DeniedAccountId = "";
            }

            return response;
        }
        finally
        {
            // Timed however the call ends: one cut off by the client's deadline (cancelled) or failed is time the
            // handler spent too, and the slowest calls must not vanish from the histogram.
            metrics.HotPath(HostMetrics.Reserve, started);
        }
    }

    public override Task<CommitResponse> Commit(CommitRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var c = engine.Commit(request.ReservationId, request.Amount, RequestValidation.Labels(request.Labels, "labels"));
        metrics.HotPath(HostMetrics.Commit, started);
        return Task.FromResult(new CommitResponse { Committed = c.Committed, Released = c.Released, Overage = c.Overage, BalanceHint = c.BalanceHint });
    }

    public override Task<ReleaseResponse> Release(ReleaseRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var r = engine.Release(request.ReservationId);
        metrics.HotPath(HostMetrics.Release, started);
        return Task.FromResult(new ReleaseResponse { Released = r.Released, BalanceHint = r.BalanceHint });
    }

    public override async Task<ConsumeResponse> Consume(ConsumeRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            allowed.Check(request.AccountId);
            var labels = RequestValidation.Labels(request.Labels, "labels");
            var pending = engine.ConsumeAsync(request.AccountId, request.Amount, request.RequestId, labels, context.CancellationToken);
            var r = pending.IsCompletedSuccessfully ? pending.Result : await pending;
            var response = new ConsumeResponse
            {
                Decision = Map(r.Decision),
                DenyReason = (Api.V1.DenyReason)r.DenyReason,
                BalanceHint = r.BalanceHint,
                LowBalance = r.LowBalance,
                Overage = r.Overage,
                DeniedAccountId = r.DeniedAccountId ?? "",
            };
            if (r.Decision != CoreDecision.Granted && shadow.Overrides(request.AccountId, r.DenyReason, request.Amount, "Consume"))
            {
                response.Decision = Api.V1.Decision.Granted;
                response.DenyReason = Api.V1.DenyReason.Unspecified;
                response.ShadowDenied = true;
                response.ShadowReason = (Api.V1.DenyReason)r.DenyReason;
                response.DeniedAccountId = "";
            }

            return response;
        }
        finally
        {
            metrics.HotPath(HostMetrics.Consume, started); // however the call ends (see Reserve)
        }
    }

    public override async Task<GetBalanceResponse> GetBalance(GetBalanceRequest request, ServerCallContext context)
    {
        allowed.Check(request.AccountId);
        var b = await engine.GetBalanceAsync(request.AccountId, request.Consistent, context.CancellationToken);
        return new GetBalanceResponse
        {
            AccountId = b.AccountId,
            Spendable = b.Spendable,
            Held = b.Held,
            OverageHeadroom = b.OverageHeadroom,
            LowBalance = b.LowBalance,
            AsOf = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(b.AsOf),
        };
    }

    private static Api.V1.Decision Map(CoreDecision decision) =>
        decision == CoreDecision.Granted ? Api.V1.Decision.Granted : Api.V1.Decision.Denied;
}
