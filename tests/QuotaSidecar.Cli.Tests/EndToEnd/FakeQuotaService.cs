using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Cli.Tests.EndToEnd;

/// <summary>
/// Canned hot-path answers that echo the request, so tests see their arguments come back. Account ids steer it:
/// "broke-*" is denied, "slow-*" never answers (for deadlines); amount 0 is the sidecar's INVALID_ARGUMENT.
/// </summary>
internal sealed class FakeQuotaService(CallRecorder recorder) : Quota.QuotaBase
{
    public static readonly Timestamp Now = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 7, 1, 9, 30, 0, TimeSpan.Zero));

    public override Task<ReserveResponse> Reserve(ReserveRequest request, ServerCallContext context)
    {
        recorder.Record(request, context);
        RejectZero(request.Amount);
        if (request.AccountId.StartsWith("broke", StringComparison.Ordinal))
        {
            return Task.FromResult(new ReserveResponse
            {
                Decision = Decision.Denied,
                DenyReason = DenyReason.InsufficientCredits,
                BalanceHint = 3,
                LowBalance = true,
                DeniedAccountId = request.AccountId,
            });
        }

        var ttl = request.Ttl?.ToTimeSpan() ?? TimeSpan.FromSeconds(60);
        return Task.FromResult(new ReserveResponse
        {
            Decision = Decision.Granted,
            ReservationId = request.ReservationId.Length > 0 ? request.ReservationId : "res-made-by-sidecar",
            Amount = request.Amount,
            ExpiresAt = Timestamp.FromDateTimeOffset(Now.ToDateTimeOffset() + ttl),
            BalanceHint = 1000 - request.Amount,
        });
    }

    public override Task<CommitResponse> Commit(CommitRequest request, ServerCallContext context)
    {
        recorder.Record(request, context);
        if (request.ReservationId == "missing")
        {
            throw new RpcException(new Status(StatusCode.NotFound, "reservation 'missing' not found"));
        }

        return Task.FromResult(new CommitResponse { Committed = request.Amount, Released = 100 - request.Amount, BalanceHint = 880 });
    }

    public override Task<ReleaseResponse> Release(ReleaseRequest request, ServerCallContext context)
    {
        recorder.Record(request, context);
        return Task.FromResult(new ReleaseResponse { Released = 25, BalanceHint = 1025 });
    }

    public override Task<ConsumeResponse> Consume(ConsumeRequest request, ServerCallContext context)
    {
        recorder.Record(request, context);
        RejectZero(request.Amount);
        var denied = request.AccountId.StartsWith("broke", StringComparison.Ordinal);
        var shadow = request.AccountId.StartsWith("shadow", StringComparison.Ordinal);
        return Task.FromResult(new ConsumeResponse
        {
            Decision = denied ? Decision.Denied : Decision.Granted,
            DenyReason = denied ? DenyReason.InsufficientCredits : DenyReason.Unspecified,
            BalanceHint = denied ? 3 : 1000 - request.Amount,
            LowBalance = denied,
            ShadowDenied = shadow,
            ShadowReason = shadow ? DenyReason.InsufficientCredits : DenyReason.Unspecified,
        });
    }

    public override async Task<GetBalanceResponse> GetBalance(GetBalanceRequest request, ServerCallContext context)
    {
        recorder.Record(request, context);
        if (request.AccountId.StartsWith("slow", StringComparison.Ordinal))
        {
            // Answers only when the client's deadline cancels the call.
            await Task.Delay(Timeout.InfiniteTimeSpan, context.CancellationToken);
        }

        return new GetBalanceResponse
        {
            AccountId = request.AccountId,
            Spendable = request.Consistent ? 750 : 700,
            Held = 40,
            OverageHeadroom = 0,
            AsOf = Now,
        };
    }

    private static void RejectZero(long amount)
    {
        if (amount <= 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"amount must be between 1 and 9007199254740992 (got {amount})"));
        }
    }
}
