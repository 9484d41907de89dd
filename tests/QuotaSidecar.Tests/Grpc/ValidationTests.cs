using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Grpc;

/// <summary>A table of bad fields: each is INVALID_ARGUMENT naming the field, and balances stay untouched.</summary>
public sealed class ValidationTests : IClassFixture<SidecarFactory>
{
    private const long Max = 1L << 53;
    private readonly SidecarFactory _sidecar;

    public ValidationTests(SidecarFactory sidecar) => _sidecar = sidecar;

    public static TheoryData<string, string> BadRequests() => new()
    {
        { "reserve: empty account", "account_id" },
        { "reserve: account with space", "account_id" },
        { "reserve: account of 129 chars", "account_id" },
        { "reserve: amount 0", "amount" },
        { "reserve: amount -1", "amount" },
        { "reserve: amount 2^53+1", "amount" },
        { "reserve: amount long.MaxValue", "amount" },
        { "reserve: ttl 0", "ttl" },
        { "reserve: ttl negative", "ttl" },
        { "reserve: ttl above max", "ttl" },
        { "reserve: 17 labels", "labels" },
        { "reserve: label key of 65 chars", "labels" },
        { "reserve: reserved label key", "labels" },
        { "commit: label key with '='", "labels" },
        { "consume: label value with newline", "labels" },
        { "consume: label value of 129 chars", "labels" },
        { "usage: filter key with space", "labels" },
        { "usage: bad account", "account_id" },
        { "reserve: reservation id of 129 chars", "reservation_id" },
        { "reserve: reservation id with newline", "reservation_id" },
        { "commit: empty id", "reservation_id" },
        { "commit: negative amount", "amount" },
        { "release: empty id", "reservation_id" },
        { "consume: amount 0", "amount" },
        { "consume: request id of 129 chars", "request_id" },
        { "balance: bad account", "account_id" },
        { "upsert: bad status", "status" },
        { "upsert: negative overage limit", "overage_limit" },
        { "upsert: unit of 65 chars", "unit" },
        { "grant: amount 0", "amount" },
        { "grant: empty grant id", "grant_id" },
        { "grant: priority 101", "priority" },
        { "grant: priority -1", "priority" },
        { "grant: expires before effective", "expires_at" },
        { "grant: recurrence without period", "recurrence.period" },
        { "grant: negative rollover", "rollover_max" },
        { "grant: bad category", "category" },
        { "ledger: limit 1001", "limit" },
        { "void: empty grant id", "grant_id" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_fields_are_invalid_argument_naming_the_field(string request, string field)
    {
        var before = await _sidecar.Admin.GetAccountAsync(new GetAccountRequest { AccountId = "seeded" }, Calls.Admin());

        var e = await Assert.ThrowsAsync<RpcException>(() => Send(request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(field, e.Status.Detail, StringComparison.Ordinal);
        var after = await _sidecar.Admin.GetAccountAsync(new GetAccountRequest { AccountId = "seeded" }, Calls.Admin());
        Assert.Equal(before.Balance.Granted, after.Balance.Granted);
        Assert.Equal(before.Balance.Consumed, after.Balance.Consumed);
        Assert.Equal(before, after);
    }

    private async Task Send(string request)
    {
        var q = _sidecar.Quota;
        var a = _sidecar.Admin;
        var now = DateTime.UtcNow;
        switch (request)
        {
            case "reserve: empty account": await q.ReserveAsync(new ReserveRequest { Amount = 1 }, Calls.Deadline); break;
            case "reserve: account with space": await q.ReserveAsync(new ReserveRequest { AccountId = "a b", Amount = 1 }, Calls.Deadline); break;
            case "reserve: account of 129 chars": await q.ReserveAsync(new ReserveRequest { AccountId = new string('a', 129), Amount = 1 }, Calls.Deadline); break;
            case "reserve: amount 0": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = 0 }, Calls.Deadline); break;
            case "reserve: amount -1": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = -1 }, Calls.Deadline); break;
            case "reserve: amount 2^53+1": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = Max + 1 }, Calls.Deadline); break;
            case "reserve: amount long.MaxValue": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = long.MaxValue }, Calls.Deadline); break;
            case "reserve: ttl 0": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = 1, Ttl = new Duration() }, Calls.Deadline); break;
            case "reserve: ttl negative": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = 1, Ttl = new Duration { Seconds = -5 } }, Calls.Deadline); break;
            case "reserve: ttl above max": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = 1, Ttl = Duration.FromTimeSpan(TimeSpan.FromHours(2)) }, Calls.Deadline); break;
            case "reserve: 17 labels":
                var r = new ReserveRequest { AccountId = "seeded", Amount = 1 };
                for (var i = 0; i < 17; i++)
                {
                    r.Labels[$"k{i}"] = "v";
                }

                await q.ReserveAsync(r, Calls.Deadline);
                break;
            case "reserve: label key of 65 chars": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = 1, Labels = { [new string('k', 65)] = "v" } }, Calls.Deadline); break;
            case "reserve: reserved label key": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = 1, Labels = { ["_overflow"] = "true" } }, Calls.Deadline); break;
            case "commit: label key with '='": await q.CommitAsync(new CommitRequest { ReservationId = "x", Amount = 1, Labels = { ["model=x"] = "large" } }, Calls.Deadline); break;
            case "consume: label value with newline": await q.ConsumeAsync(new ConsumeRequest { AccountId = "seeded", Amount = 1, Labels = { ["model"] = "a\nb" } }, Calls.Deadline); break;
            case "consume: label value of 129 chars": await q.ConsumeAsync(new ConsumeRequest { AccountId = "seeded", Amount = 1, Labels = { ["model"] = new string('v', 129) } }, Calls.Deadline); break;
            case "usage: filter key with space": await a.GetUsageAsync(new GetUsageRequest { AccountId = "seeded", Labels = { ["a b"] = "v" } }, Calls.Admin()); break;
            case "usage: bad account": await a.GetUsageAsync(new GetUsageRequest { AccountId = "x/y" }, Calls.Admin()); break;
            case "reserve: reservation id of 129 chars": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = 1, ReservationId = new string('r', 129) }, Calls.Deadline); break;
            case "reserve: reservation id with newline": await q.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = 1, ReservationId = "a\nb" }, Calls.Deadline); break;
            case "commit: empty id": await q.CommitAsync(new CommitRequest { Amount = 1 }, Calls.Deadline); break;
            case "commit: negative amount": await q.CommitAsync(new CommitRequest { ReservationId = "x", Amount = -1 }, Calls.Deadline); break;
            case "release: empty id": await q.ReleaseAsync(new ReleaseRequest(), Calls.Deadline); break;
            case "consume: amount 0": await q.ConsumeAsync(new ConsumeRequest { AccountId = "seeded" }, Calls.Deadline); break;
            case "consume: request id of 129 chars": await q.ConsumeAsync(new ConsumeRequest { AccountId = "seeded", Amount = 1, RequestId = new string('q', 129) }, Calls.Deadline); break;
            case "balance: bad account": await q.GetBalanceAsync(new GetBalanceRequest { AccountId = "x/y" }, Calls.Deadline); break;
            case "upsert: bad status": await a.UpsertAccountAsync(new UpsertAccountRequest { AccountId = "seeded", Status = (AccountStatus)9 }, Calls.Admin()); break;
            case "upsert: negative overage limit": await a.UpsertAccountAsync(new UpsertAccountRequest { AccountId = "seeded", OverageLimit = -1 }, Calls.Admin()); break;
            case "upsert: unit of 65 chars": await a.UpsertAccountAsync(new UpsertAccountRequest { AccountId = "seeded", Unit = new string('u', 65) }, Calls.Admin()); break;
            case "grant: amount 0": await a.GrantCreditsAsync(new GrantCreditsRequest { AccountId = "seeded", GrantId = "x" }, Calls.Admin()); break;
            case "grant: empty grant id": await a.GrantCreditsAsync(new GrantCreditsRequest { AccountId = "seeded", Amount = 1 }, Calls.Admin()); break;
            case "grant: priority 101": await a.GrantCreditsAsync(new GrantCreditsRequest { AccountId = "seeded", GrantId = "x", Amount = 1, Priority = 101 }, Calls.Admin()); break;
            case "grant: priority -1": await a.GrantCreditsAsync(new GrantCreditsRequest { AccountId = "seeded", GrantId = "x", Amount = 1, Priority = -1 }, Calls.Admin()); break;
            case "grant: expires before effective":
                await a.GrantCreditsAsync(new GrantCreditsRequest { AccountId = "seeded", GrantId = "x", Amount = 1, EffectiveAt = Timestamp.FromDateTime(now.AddDays(2)), ExpiresAt = Timestamp.FromDateTime(now.AddDays(1)) }, Calls.Admin());
                break;
            case "grant: recurrence without period": await a.GrantCreditsAsync(new GrantCreditsRequest { AccountId = "seeded", GrantId = "x", Amount = 1, Recurrence = new Recurrence() }, Calls.Admin()); break;
            case "grant: negative rollover": await a.GrantCreditsAsync(new GrantCreditsRequest { AccountId = "seeded", GrantId = "x", Amount = 1, Recurrence = new Recurrence { Period = RecurrencePeriod.Daily, RolloverMax = -1 } }, Calls.Admin()); break;
            case "grant: bad category": await a.GrantCreditsAsync(new GrantCreditsRequest { AccountId = "seeded", GrantId = "x", Amount = 1, Category = (GrantCategory)7 }, Calls.Admin()); break;
            case "ledger: limit 1001": await a.ListLedgerEntriesAsync(new ListLedgerEntriesRequest { AccountId = "seeded", Limit = 1001 }, Calls.Admin()); break;
            case "void: empty grant id": await a.VoidGrantAsync(new VoidGrantRequest { AccountId = "seeded" }, Calls.Admin()); break;
            default: throw new InvalidOperationException($"no request named '{request}'");
        }
    }
}
