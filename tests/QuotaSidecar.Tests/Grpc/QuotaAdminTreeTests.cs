using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Grpc;

/// <summary>The account tree over the admin API (docs/design.md#account-tree): parent_id (unset keeps, empty detaches),
/// TRACK, ListChildAccounts with its validation and paging, and the ledger's refusals as gRPC statuses.</summary>
public sealed class QuotaAdminTreeTests(SidecarFactory sidecar) : IClassFixture<SidecarFactory>
{
    private QuotaAdmin.QuotaAdminClient Admin => sidecar.Admin;

    [Fact]
    public async Task Parent_id_is_set_kept_when_unset_and_cleared_when_empty()
    {
        var parent = await CreateAsync();
        var child = NewId();

        var created = await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = child, ParentId = parent, OverageMode = OverageMode.Track }, Calls.Admin());
        var kept = await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = child, LowBalanceThreshold = 3, OverageMode = OverageMode.Track }, Calls.Admin());
        var got = await Admin.GetAccountAsync(new GetAccountRequest { AccountId = child }, Calls.Admin());
        var detached = await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = child, ParentId = "" }, Calls.Admin());
        var unsetNew = await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = NewId() }, Calls.Admin());

        Assert.Equal(parent, created.ParentId);
        Assert.Equal(OverageMode.Track, created.OverageMode);
        Assert.Equal(parent, kept.ParentId);
        Assert.Equal(3, kept.LowBalanceThreshold);
        Assert.Equal(parent, got.ParentId);
        Assert.Equal(OverageMode.Track, got.OverageMode);
        Assert.Equal("", detached.ParentId);
        Assert.Equal(OverageMode.Hard, detached.OverageMode);
        Assert.Equal("", unsetNew.ParentId);
        Assert.Empty((await Admin.ListChildAccountsAsync(new ListChildAccountsRequest { AccountId = parent }, Calls.Admin())).ChildIds);
    }

    [Fact]
    public async Task Children_are_listed_by_id_in_pages()
    {
        var parent = await CreateAsync();
        string[] children = [$"{parent}-a", $"{parent}-b", $"{parent}-c"];
        foreach (var child in children.Reverse())
        {
            await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = child, ParentId = parent }, Calls.Admin());
        }

        var first = await Admin.ListChildAccountsAsync(new ListChildAccountsRequest { AccountId = parent, PageSize = 2 }, Calls.Admin());
        var second = await Admin.ListChildAccountsAsync(new ListChildAccountsRequest { AccountId = parent, PageSize = 2, PageToken = first.NextPageToken }, Calls.Admin());
        var whole = await Admin.ListChildAccountsAsync(new ListChildAccountsRequest { AccountId = parent }, Calls.Admin());

        Assert.Equal(children[..2], first.ChildIds);
        Assert.NotEqual("", first.NextPageToken);
        Assert.Equal(children[2..], second.ChildIds);
        Assert.Equal("", second.NextPageToken);
        Assert.Equal(children, whole.ChildIds);
    }

    [Theory]
    [InlineData("", 0, "", StatusCode.InvalidArgument, "account_id")]
    [InlineData("ok", -1, "", StatusCode.InvalidArgument, "page_size")]
    [InlineData("ok", 1001, "", StatusCode.InvalidArgument, "page_size")]
    [InlineData("ok", 0, "not a token", StatusCode.InvalidArgument, "page_token")]
    [InlineData("missing", 0, "", StatusCode.NotFound, "missing")]
    public async Task ListChildAccounts_validates_its_request(string account, int pageSize, string pageToken, StatusCode code, string named)
    {
        var parent = await CreateAsync();
        var id = account switch { "ok" => parent, "missing" => parent + "-missing", _ => account };

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await Admin.ListChildAccountsAsync(new ListChildAccountsRequest { AccountId = id, PageSize = pageSize, PageToken = pageToken }, Calls.Admin()));

        Assert.Equal(code, e.StatusCode);
        Assert.Contains(named, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ledger_s_tree_refusals_are_statuses_that_name_the_field_and_accounts()
    {
        var root = await CreateAsync();
        var child = NewId();
        await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = child, ParentId = root }, Calls.Admin());
        var ghost = NewId();

        var missing = await Assert.ThrowsAsync<RpcException>(async () =>
            await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = NewId(), ParentId = ghost }, Calls.Admin()));
        var cycle = await Assert.ThrowsAsync<RpcException>(async () =>
            await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = root, ParentId = child }, Calls.Admin()));
        var malformed = await Assert.ThrowsAsync<RpcException>(async () =>
            await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = child, ParentId = "no spaces" }, Calls.Admin()));

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains($"parent_id '{ghost}' not found", missing.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, cycle.StatusCode);
        Assert.Contains($"parent_id '{child}' is account '{root}' or one of its descendants", cycle.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.Contains("parent_id", malformed.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_parent_of_an_account_this_sidecar_holds_a_lease_on_cannot_change()
    {
        var first = await CreateAsync();
        var second = await CreateAsync();
        var child = NewId();
        await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = child, ParentId = first }, Calls.Admin());
        await Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = child, GrantId = "g", Amount = 1_000 }, Calls.Admin());
        await sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = child, Amount = 1 }, Calls.Deadline); // takes a lease

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = child, ParentId = second }, Calls.Admin()));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("retry after its leases are returned", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(first, (await Admin.GetAccountAsync(new GetAccountRequest { AccountId = child }, Calls.Admin())).ParentId);
    }

    [Fact]
    public async Task Requests_on_a_leaf_charge_the_path_and_a_denial_names_the_account_that_refused()
    {
        var org = await CreateAsync();
        await Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = org, GrantId = "pool", Amount = 10 }, Calls.Admin());
        var team = NewId();
        await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = team, ParentId = org }, Calls.Admin());
        await Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = team, GrantId = "cap", Amount = 1_000 }, Calls.Admin());
        var key = NewId();
        await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = key, ParentId = team, OverageMode = OverageMode.Track }, Calls.Admin());

        var held = await sidecar.Quota.ReserveAsync(new ReserveRequest { AccountId = key, Amount = 8 }, Calls.Deadline);
        var denied = await sidecar.Quota.ReserveAsync(new ReserveRequest { AccountId = key, Amount = 3 }, Calls.Deadline);
        var consumeDenied = await sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = team, Amount = 3 }, Calls.Deadline);
        await sidecar.Quota.CommitAsync(new CommitRequest { ReservationId = held.ReservationId, Amount = 8 }, Calls.Deadline);

        Assert.Equal(Decision.Granted, held.Decision);
        Assert.Equal("", held.DeniedAccountId);
        Assert.Equal(Decision.Denied, denied.Decision);
        Assert.Equal(DenyReason.AncestorInsufficientCredits, denied.DenyReason);
        Assert.Equal(org, denied.DeniedAccountId);
        Assert.Equal(DenyReason.AncestorInsufficientCredits, consumeDenied.DenyReason);
        Assert.Equal(org, consumeDenied.DeniedAccountId);
        Assert.Equal(2, (await sidecar.Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = org }, Calls.Deadline)).Spendable);
        Assert.Equal(992, (await sidecar.Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = team }, Calls.Deadline)).Spendable);
    }

    private static string NewId() => $"acct-{Guid.NewGuid():N}";

    private async Task<string> CreateAsync()
    {
        var id = NewId();
        await Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id }, Calls.Admin());
        return id;
    }
}
