using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Cli.Tests.EndToEnd;

/// <summary>
/// Canned admin answers that echo the request. Every call needs <c>authorization: Bearer s3cret</c>, as the real
/// sidecar's admin API needs its token. Account "ghost" does not exist; "loop" hands out the same ledger cursor forever.
/// </summary>
internal sealed class FakeQuotaAdminService(CallRecorder recorder) : QuotaAdmin.QuotaAdminBase
{
    public const string Token = "s3cret";

    public override Task<Account> UpsertAccount(UpsertAccountRequest request, ServerCallContext context)
    {
        Accept(request, context);
        return Task.FromResult(new Account
        {
            AccountId = request.AccountId,
            Status = request.Status,
            OverageMode = request.OverageMode,
            OverageLimit = request.OverageLimit,
            LowBalanceThreshold = request.LowBalanceThreshold,
            Unit = request.Unit,
            Balance = new Balance(),
        });
    }

    public override Task<Account> GetAccount(GetAccountRequest request, ServerCallContext context)
    {
        Accept(request, context);
        if (request.AccountId == "ghost")
        {
            throw new RpcException(new Status(StatusCode.NotFound, "account 'ghost' not found; create it with UpsertAccount first"));
        }

        return Task.FromResult(new Account
        {
            AccountId = request.AccountId,
            ParentId = "org",
            Status = AccountStatus.Active,
            OverageMode = OverageMode.Soft,
            OverageLimit = 5000,
            LowBalanceThreshold = 100,
            Unit = "api_call",
            Balance = new Balance { Available = 7000, Leased = 500, Consumed = 2000, Expired = 300, Voided = 200, Overage = 0, Granted = 10000 },
        });
    }

    public override Task<Grant> GrantCredits(GrantCreditsRequest request, ServerCallContext context)
    {
        Accept(request, context);
        var grant = new Grant
        {
            GrantId = request.GrantId,
            AccountId = request.AccountId,
            Amount = request.Amount,
            Remaining = request.Amount,
            Priority = request.Priority == 0 ? 50 : request.Priority,
            Category = request.Category,
            EffectiveAt = request.EffectiveAt ?? FakeQuotaService.Now,
            ExpiresAt = request.ExpiresAt,
            Recurrence = request.Recurrence,
            CreatedAt = FakeQuotaService.Now,
        };
        grant.Metadata.Add(request.Metadata);
        return Task.FromResult(grant);
    }

    public override Task<Grant> VoidGrant(VoidGrantRequest request, ServerCallContext context)
    {
        Accept(request, context);
        return Task.FromResult(new Grant
        {
            GrantId = request.GrantId,
            AccountId = request.AccountId,
            Amount = 1000,
            Remaining = 0,
            Priority = 50,
            Category = GrantCategory.Paid,
            EffectiveAt = FakeQuotaService.Now,
            VoidedAt = FakeQuotaService.Now,
            CreatedAt = FakeQuotaService.Now,
        });
    }

    public override Task<ListGrantsResponse> ListGrants(ListGrantsRequest request, ServerCallContext context)
    {
        Accept(request, context);
        var response = new ListGrantsResponse();
        response.Grants.Add(new Grant
        {
            GrantId = "promo-1",
            AccountId = request.AccountId,
            Amount = 500,
            Remaining = 120,
            Priority = 10,
            Category = GrantCategory.Promotional,
            EffectiveAt = FakeQuotaService.Now,
            ExpiresAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2999, 1, 1, 0, 0, 0, TimeSpan.Zero)),
        });
        response.Grants.Add(new Grant
        {
            GrantId = "monthly",
            AccountId = request.AccountId,
            Amount = 10000,
            Remaining = 9000,
            Priority = 50,
            Category = GrantCategory.Paid,
            EffectiveAt = FakeQuotaService.Now,
            Recurrence = new Recurrence { Period = RecurrencePeriod.Monthly, RolloverMax = 2000 },
        });
        if (request.IncludeInactive)
        {
            response.Grants.Add(new Grant
            {
                GrantId = "old",
                AccountId = request.AccountId,
                Amount = 300,
                Priority = 50,
                Category = GrantCategory.Paid,
                EffectiveAt = FakeQuotaService.Now,
                VoidedAt = FakeQuotaService.Now,
            });
        }

        return Task.FromResult(response);
    }

    /// <summary>Three entries in pages of two: cursor "" gives e1, e2 and next "e2"; "e2" gives e3 and no next.</summary>
    public override Task<ListLedgerEntriesResponse> ListLedgerEntries(ListLedgerEntriesRequest request, ServerCallContext context)
    {
        Accept(request, context);
        var response = new ListLedgerEntriesResponse();
        if (request.AccountId == "loop")
        {
            response.Entries.Add(Entry("e1", LedgerEntryKind.Granted, 1000));
            response.Next = "e1";
            return Task.FromResult(response);
        }

        if (request.After.Length == 0)
        {
            response.Entries.Add(Entry("e1", LedgerEntryKind.Granted, 1000));
            var consumed = Entry("e2", LedgerEntryKind.Consumed, 42);
            consumed.GrantId = string.Empty;
            consumed.Source = "pod-a/7f3";
            consumed.Labels.Add("operation", "chat");
            response.Entries.Add(consumed);
            response.Next = "e2";
        }
        else if (request.After == "e2")
        {
            response.Entries.Add(Entry("e3", LedgerEntryKind.OveragePaid, 7));
        }

        return Task.FromResult(response);
    }

    private static LedgerEntry Entry(string id, LedgerEntryKind kind, long amount) => new()
    {
        EntryId = id,
        At = FakeQuotaService.Now,
        Kind = kind,
        Amount = amount,
        GrantId = "g-1",
    };

    public override Task<ListEventsResponse> ListEvents(ListEventsRequest request, ServerCallContext context)
    {
        Accept(request, context);
        var account = request.AccountId.Length > 0 ? request.AccountId : "acme";
        return Task.FromResult(new ListEventsResponse { Events = { Event(account, 1), Event(account, 2) }, Next = "1767225600000-1" });
    }

    public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<BalanceEvent> responseStream, ServerCallContext context)
    {
        Accept(request, context);
        await responseStream.WriteAsync(Event("acme", 1));
        await responseStream.WriteAsync(Event("acme", 2));
    }

    public override Task<ListFailedDeliveriesResponse> ListFailedDeliveries(ListFailedDeliveriesRequest request, ServerCallContext context)
    {
        Accept(request, context);
        return Task.FromResult(new ListFailedDeliveriesResponse
        {
            Deliveries = { new FailedDelivery { Event = Event("acme", 2), Attempts = 8, LastError = "HTTP 503", FailedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 1, 1, 1, 0, 0, TimeSpan.Zero)) } },
        });
    }

    public override Task<RedeliverEventResponse> RedeliverEvent(RedeliverEventRequest request, ServerCallContext context)
    {
        Accept(request, context);
        return request.EventId == "acme:2"
            ? Task.FromResult(new RedeliverEventResponse())
            : throw new RpcException(new Status(StatusCode.NotFound, $"no failed delivery of event '{request.EventId}'; list them with ListFailedDeliveries"));
    }

    // acme:1 balance.low at 50 of 100; acme:2 recharge.requested of 950.
    private static BalanceEvent Event(string account, int n) => n == 1
        ? new BalanceEvent { EventId = $"{account}:1", Type = "balance.low", AccountId = account, Balance = 50, Threshold = 100, At = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), Cursor = "1767225600000-0" }
        : new BalanceEvent { EventId = $"{account}:2", Type = "recharge.requested", AccountId = account, Balance = 50, Threshold = 200, At = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), Cursor = "1767225600000-1", RechargeId = "recharge-1", Amount = 950 };

    private void Accept(Google.Protobuf.IMessage request, ServerCallContext context)
    {
        recorder.Record(request, context);
        if (context.RequestHeaders.GetValue("authorization") != "Bearer " + Token)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or invalid bearer token"));
        }
    }
}
