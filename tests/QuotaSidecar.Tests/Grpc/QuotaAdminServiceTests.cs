using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Grpc;

public sealed class QuotaAdminServiceTests : IClassFixture<SidecarFactory>
{
    private readonly SidecarFactory _sidecar;

    public QuotaAdminServiceTests(SidecarFactory sidecar) => _sidecar = sidecar;

    private QuotaAdmin.QuotaAdminClient Admin => _sidecar.Admin;

    [Fact]
    public async Task Accounts_grants_voids_and_the_ledger_round_trip()
    {
        var id = $"acct-{Guid.NewGuid():N}";
        var account = await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id, OverageMode = OverageMode.Soft, OverageLimit = 10, LowBalanceThreshold = 5, Unit = "token" }, Calls.Admin());
        var paid = await Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "paid", Amount = 500, Metadata = { ["order"] = "42" } }, Calls.Admin());
        var promo = await Admin.GrantCreditsAsync(new GrantCreditsRequest
        {
            AccountId = id,
            GrantId = "promo",
            Amount = 50,
            Priority = 10,
            Category = GrantCategory.Promotional,
            ExpiresAt = Timestamp.FromDateTime(DateTime.UtcNow.AddDays(30)),
            Recurrence = new Recurrence { Period = RecurrencePeriod.Monthly, RolloverMax = 10 },
        }, Calls.Admin());
        var voided = await Admin.VoidGrantAsync(new VoidGrantRequest { AccountId = id, GrantId = "paid" }, Calls.Admin());
        var active = await Admin.ListGrantsAsync(new ListGrantsRequest { AccountId = id }, Calls.Admin());
        var all = await Admin.ListGrantsAsync(new ListGrantsRequest { AccountId = id, IncludeInactive = true }, Calls.Admin());
        var got = await Admin.GetAccountAsync(new GetAccountRequest { AccountId = id }, Calls.Admin());
        var page1 = await Admin.ListLedgerEntriesAsync(new ListLedgerEntriesRequest { AccountId = id, Limit = 2 }, Calls.Admin());
        var page2 = await Admin.ListLedgerEntriesAsync(new ListLedgerEntriesRequest { AccountId = id, After = page1.Next, Limit = 2 }, Calls.Admin());

        Assert.Equal("token", account.Unit);
        Assert.Equal(OverageMode.Soft, account.OverageMode);
        Assert.Equal(50, paid.Priority);
        Assert.Equal("42", paid.Metadata["order"]);
        Assert.Equal(RecurrencePeriod.Monthly, promo.Recurrence.Period);
        Assert.NotNull(voided.VoidedAt);
        Assert.Equal(["promo"], active.Grants.Select(g => g.GrantId));
        Assert.Equal(2, all.Grants.Count);
        Assert.Equal(new Balance { Available = 50, Voided = 500, Granted = 550 }, got.Balance);
        Assert.Equal([LedgerEntryKind.Granted, LedgerEntryKind.Granted], page1.Entries.Select(e => e.Kind));
        Assert.Equal([LedgerEntryKind.Voided], page2.Entries.Select(e => e.Kind));
        Assert.Equal("", page2.Next);
    }

    [Fact]
    public async Task Grant_ids_are_idempotent()
    {
        var id = $"acct-{Guid.NewGuid():N}";
        await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id }, Calls.Admin());

        await Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g", Amount = 5 }, Calls.Admin());
        await Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g", Amount = 5 }, Calls.Admin());
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g", Amount = 6 }, Calls.Admin()));

        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        Assert.Equal(5, (await Admin.GetAccountAsync(new GetAccountRequest { AccountId = id }, Calls.Admin())).Balance.Granted);
    }

    [Fact]
    public async Task Unknown_account_and_grant_are_not_found()
    {
        var e1 = await Assert.ThrowsAsync<RpcException>(async () => await Admin.GetAccountAsync(new GetAccountRequest { AccountId = "ghost" }, Calls.Admin()));
        var e2 = await Assert.ThrowsAsync<RpcException>(async () => await Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = "ghost", GrantId = "g", Amount = 1 }, Calls.Admin()));
        var e3 = await Assert.ThrowsAsync<RpcException>(async () => await Admin.VoidGrantAsync(new VoidGrantRequest { AccountId = "seeded", GrantId = "nope" }, Calls.Admin()));

        Assert.All([e1, e2, e3], e => Assert.Equal(StatusCode.NotFound, e.StatusCode));
    }

    [Fact]
    public async Task Missing_or_wrong_token_is_unauthenticated()
    {
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await Admin.GetAccountAsync(new GetAccountRequest { AccountId = "seeded" }, Calls.Deadline));
        var wrong = await Assert.ThrowsAsync<RpcException>(async () => await Admin.GetAccountAsync(new GetAccountRequest { AccountId = "seeded" }, Calls.Admin("not-the-token-at-all")));
        var prefix = await Assert.ThrowsAsync<RpcException>(async () => await Admin.GetAccountAsync(new GetAccountRequest { AccountId = "seeded" }, Calls.Admin(SidecarFactory.AdminToken[..^1])));

        Assert.All([missing, wrong, prefix], e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));
        Assert.Contains("authorization: Bearer", missing.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_is_disabled_without_a_token()
    {
        await using var sidecar = new SidecarFactory().With("Quota:Admin:Token", null);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await sidecar.Admin.GetAccountAsync(new GetAccountRequest { AccountId = "seeded" }, Calls.Admin()));

        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("Quota__Admin__Token", e.Status.Detail, StringComparison.Ordinal);
    }
}
