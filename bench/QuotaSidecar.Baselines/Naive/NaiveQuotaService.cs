using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Baselines.Stats;

namespace QuotaSidecar.Baselines.Naive;

/// <summary>
/// quota.v1.Quota the naive way (as envoy's ratelimit service works): no local state, one Redis round trip per
/// request. Reservation ids carry the account ("account/n") so Commit finds the account's keys without a lookup.
/// Only what the load tool calls is implemented: Reserve, Commit, Consume.
/// </summary>
internal sealed class NaiveQuotaService(NaiveStore store, HandlerStats stats) : Quota.QuotaBase
{
    private const long HoldTtlMs = 60_000;
    private static readonly string Prefix = Guid.NewGuid().ToString("N")[..8] + "-";
    private static long s_nextId;

    public override async Task<ReserveResponse> Reserve(ReserveRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var hold = request.ReservationId.Length > 0
                ? request.ReservationId
                : Prefix + Interlocked.Increment(ref s_nextId).ToString("x", CultureInfo.InvariantCulture);
            var result = await store.ReserveAsync(request.AccountId, hold, request.Amount, HoldTtlMs);
            var granted = NaiveStore.Long(result, 0) == 1;
            return new ReserveResponse
            {
                Decision = granted ? Decision.Granted : Decision.Denied,
                DenyReason = granted ? DenyReason.Unspecified : DenyReason.InsufficientCredits,
                ReservationId = granted ? request.AccountId + "/" + hold : "",
                Amount = granted ? request.Amount : 0,
                BalanceHint = NaiveStore.Long(result, 1),
            };
        }
        finally
        {
            stats.Handled(started);
        }
    }

    public override async Task<CommitResponse> Commit(CommitRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var slash = request.ReservationId.LastIndexOf('/');
            if (slash <= 0)
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"reservation '{request.ReservationId}' not found"));
            }

            var result = await store.CommitAsync(request.ReservationId[..slash], request.ReservationId[(slash + 1)..], request.Amount);
            var held = NaiveStore.Long(result, 0);
            if (held < 0)
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"reservation '{request.ReservationId}' not found"));
            }

            return new CommitResponse
            {
                Committed = request.Amount,
                Released = Math.Max(0, held - request.Amount),
                BalanceHint = NaiveStore.Long(result, 1),
            };
        }
        finally
        {
            stats.Handled(started);
        }
    }

    public override async Task<ConsumeResponse> Consume(ConsumeRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await store.ConsumeAsync(request.AccountId, request.Amount);
            var granted = NaiveStore.Long(result, 0) == 1;
            return new ConsumeResponse
            {
                Decision = granted ? Decision.Granted : Decision.Denied,
                DenyReason = granted ? DenyReason.Unspecified : DenyReason.InsufficientCredits,
                BalanceHint = NaiveStore.Long(result, 1),
            };
        }
        finally
        {
            stats.Handled(started);
        }
    }
}
