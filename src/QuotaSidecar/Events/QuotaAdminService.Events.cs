using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Events;

// The admin service's balance event calls (docs/design.md#balance-events): the class lives in Grpc/, this part of it
// in the Events feature folder.
namespace QuotaSidecar.Grpc;

/// <summary>ListEvents and WatchEvents (the global event stream, straight from the store); ListFailedDeliveries and
/// RedeliverEvent (webhooks that ran out of attempts); Set/GetRechargePolicy (auto-recharge).</summary>
internal sealed partial class QuotaAdminService
{
    public override async Task<ListEventsResponse> ListEvents(ListEventsRequest request, ServerCallContext context)
    {
        auth.Check(context);
        if (request.Limit is < 0 or > 1000)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"limit must be between 0 (default 100) and 1000 (got {request.Limit})");
        }

        Cursor(request.After, "after");
        var page = await Events(context).ListAsync(
            request.After, request.Limit == 0 ? 100 : request.Limit, request.AccountId, context.CancellationToken);
        var response = new ListEventsResponse { Next = page.Next };
        foreach (var e in page.Events)
        {
            response.Events.Add(ToProto(e));
        }

        return response;
    }

    public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<Api.V1.BalanceEvent> responseStream, ServerCallContext context)
    {
        auth.Check(context);
        try
        {
            Cursor(request.Cursor, "cursor");
            await foreach (var e in Events(context).WatchAsync(request.Cursor, context.CancellationToken))
            {
                await responseStream.WriteAsync(ToProto(e), context.CancellationToken);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The watcher went away (or the server stops): the end of the stream, not an error.
        }
        catch (QuotaException e)
        {
            // ErrorMappingInterceptor maps unary calls only; a stream's errors get the same statuses here.
            throw new RpcException(new Status(ErrorMappingInterceptor.Map(e.Error), e.Message));
        }
    }

    public override async Task<ListFailedDeliveriesResponse> ListFailedDeliveries(ListFailedDeliveriesRequest request, ServerCallContext context)
    {
        auth.Check(context);
        if (request.Limit is < 0 or > 1000)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"limit must be between 0 (default 100) and 1000 (got {request.Limit})");
        }

        var failed = await Deliveries(context).ListFailedAsync(request.Limit == 0 ? 100 : request.Limit, context.CancellationToken);
        var response = new ListFailedDeliveriesResponse();
        foreach (var f in failed)
        {
            response.Deliveries.Add(new Api.V1.FailedDelivery
            {
                Event = ToProto(f.Event),
                Attempts = f.Attempts,
                LastError = f.LastError,
                FailedAt = Timestamp.FromDateTimeOffset(f.FailedAt),
            });
        }

        return response;
    }

    public override async Task<RedeliverEventResponse> RedeliverEvent(RedeliverEventRequest request, ServerCallContext context)
    {
        auth.Check(context);
        if (request.EventId.Length is 0 or > 200)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"event_id must be an event id like \"acct-1:3\" (1-200 characters, got {request.EventId.Length})");
        }

        return await Deliveries(context).RedeliverAsync(request.EventId, context.CancellationToken)
            ? new RedeliverEventResponse()
            : throw new QuotaException(QuotaError.NotFound, $"no failed delivery of event '{request.EventId}'; list them with ListFailedDeliveries");
    }

    public override async Task<RechargePolicyState> SetRechargePolicy(SetRechargePolicyRequest request, ServerCallContext context)
    {
        auth.Check(context);
        if (request.Cooldown is { } c && (c.Seconds < 0 || c.Nanos < 0 || c.Seconds > 31L * 24 * 3600))
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"cooldown must be 0 to 31 days (got {c})");
        }

        var policy = new RechargePolicy(
            request.AccountId, request.Threshold, request.Target, request.MaxPerMonth,
            TimeSpan.FromMilliseconds(Math.Floor((request.Cooldown?.ToTimeSpan() ?? TimeSpan.Zero).TotalMilliseconds)));
        return ToProto(request.AccountId, await Recharges(context).SetRechargePolicyAsync(policy, context.CancellationToken));
    }

    public override async Task<RechargePolicyState> GetRechargePolicy(GetRechargePolicyRequest request, ServerCallContext context)
    {
        auth.Check(context);
        return ToProto(request.AccountId, await Recharges(context).GetRechargePolicyAsync(request.AccountId, context.CancellationToken));
    }

    private static RechargePolicyState ToProto(string accountId, RechargeState state)
    {
        var proto = new RechargePolicyState
        {
            AccountId = accountId,
            HasPolicy = state.Policy is not null,
            RequestedThisMonth = state.RequestedThisMonth,
            Requests = state.Requests,
        };
        if (state.Policy is { } p)
        {
            proto.Threshold = p.Threshold;
            proto.Target = p.Target;
            proto.MaxPerMonth = p.MaxPerMonth;
            proto.Cooldown = Duration.FromTimeSpan(p.Cooldown);
        }

        if (state.LastRequestedAt is { } last)
        {
            proto.LastRequestedAt = Timestamp.FromDateTimeOffset(last);
        }

        return proto;
    }

    private static IRechargePolicies Recharges(ServerCallContext context) =>
        context.GetHttpContext().RequestServices.GetRequiredService<IRechargePolicies>();

    private static IEventDeliveryQueue Deliveries(ServerCallContext context) =>
        context.GetHttpContext().RequestServices.GetRequiredService<IEventDeliveryQueue>();

    private static void Cursor(string value, string field)
    {
        if (value.Length > 64)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"{field} must be an event cursor like \"1767225600000-0\" (at most 64 characters, got {value.Length})");
        }

        EventCursor.Parse(value, field);
    }

    // Resolved per call rather than injected: keeps the event feature out of the service's constructor.
    private static IEventLog Events(ServerCallContext context) =>
        context.GetHttpContext().RequestServices.GetRequiredService<IEventLog>();

    private static Api.V1.BalanceEvent ToProto(Core.Events.BalanceEvent e) => new()
    {
        EventId = e.Id,
        Type = BalanceEventTypes.Name(e.Type),
        AccountId = e.AccountId,
        Balance = e.Balance,
        Threshold = e.Threshold,
        At = Timestamp.FromDateTimeOffset(e.At),
        Cursor = e.Cursor,
        RechargeId = e.RechargeId,
        Amount = e.Amount,
        GrantId = e.GrantId,
    };
}
