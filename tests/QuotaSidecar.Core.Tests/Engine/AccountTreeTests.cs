using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;

namespace QuotaSidecar.Core.Tests.Engine;

/// <summary>Requests on accounts of a tree (docs/design.md#account-tree, #path-holds): every node of the path is charged
/// or none, each under its own rules, and a denial names the node that refused. On a fake clock over a real embedded
/// ledger.</summary>
public sealed class AccountTreeTests : IAsyncLifetime
{
    private readonly EngineHarness _h = new();

    private QuotaEngine Engine => _h.Engine;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task A_team_over_its_cap_is_denied_while_the_org_has_credits()
    {
        var org = await NodeAsync("org", 10_000);
        var team = await NodeAsync("team", 100, parent: org);
        var key = await NodeAsync("key", 0, OverageMode.Track, parent: team);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(Decision.Granted, (await Engine.ConsumeAsync(key, 10)).Decision);
        }

        var denied = await Engine.ReserveAsync(key, 1);
        Assert.Equal(Decision.Denied, denied.Decision);
        Assert.Equal(DenyReason.AncestorInsufficientCredits, denied.DenyReason);
        Assert.Equal(team, denied.DeniedAccountId);

        var consume = await Engine.ConsumeAsync(team, 1);
        Assert.Equal(DenyReason.InsufficientCredits, consume.DenyReason);
        Assert.Equal(team, consume.DeniedAccountId);

        // The org itself still spends.
        Assert.Equal(Decision.Granted, (await Engine.ConsumeAsync(org, 1)).Decision);
        await AssertUsageAsync((org, 101), (team, 100), (key, 100));
    }

    [Fact]
    public async Task An_empty_org_denies_a_team_under_its_cap_and_charges_nothing()
    {
        var org = await NodeAsync("org", 50);
        var team = await NodeAsync("team", 1_000, parent: org);

        var granted = await Engine.ReserveAsync(team, 40);
        Assert.Equal(Decision.Granted, granted.Decision);
        var denied = await Engine.ReserveAsync(team, 20, "second");
        Assert.Equal(Decision.Denied, denied.Decision);
        Assert.Equal(DenyReason.AncestorInsufficientCredits, denied.DenyReason);
        Assert.Equal(org, denied.DeniedAccountId);

        // A retry answers the same, naming the same account.
        Assert.Equal(denied, await Engine.ReserveAsync(team, 20, "second"));
        Assert.Equal(40, (await Engine.GetBalanceAsync(team)).Held);
        Assert.Equal(40, (await Engine.GetBalanceAsync(org)).Held);

        Engine.Commit(granted.ReservationId, 40);
        await AssertUsageAsync((org, 40), (team, 40));
    }

    [Fact]
    public async Task Commit_above_the_hold_on_a_depth_three_path_charges_every_level()
    {
        var org = await NodeAsync("org", 1_000);
        var team = await NodeAsync("team", 500, parent: org);
        var key = await NodeAsync("key", 200, parent: team);

        var hold = await Engine.ReserveAsync(key, 10);
        Assert.Equal(Decision.Granted, hold.Decision);
        foreach (var node in new[] { org, team, key })
        {
            Assert.Equal(10, (await Engine.GetBalanceAsync(node)).Held);
        }

        var commit = Engine.Commit(hold.ReservationId, 25);
        Assert.Equal(25, commit.Committed);
        Assert.Equal(0, commit.Overage);
        Assert.Equal(175, commit.BalanceHint); // the key's 200 less 25: the smallest of the path
        Assert.Equal(commit, Engine.Commit(hold.ReservationId, 25)); // a retry answers as the first
        foreach (var node in new[] { org, team, key })
        {
            Assert.Equal(0, (await Engine.GetBalanceAsync(node)).Held);
        }

        await AssertUsageAsync((org, 25), (team, 25), (key, 25));
    }

    [Fact]
    public async Task Release_and_expiry_return_along_the_whole_path()
    {
        var org = await NodeAsync("org", 100);
        var team = await NodeAsync("team", 100, parent: org);

        var released = await Engine.ReserveAsync(team, 60);
        Assert.Equal(60, Engine.Release(released.ReservationId).Released);
        var expiring = await Engine.ReserveAsync(team, 60, ttl: TimeSpan.FromSeconds(5));
        Assert.Equal(Decision.Granted, expiring.Decision);
        _h.Time.Advance(TimeSpan.FromSeconds(6));

        // Both holds gave their credits back on both nodes: the whole org balance is spendable through the team again.
        Assert.Equal(Decision.Granted, (await Engine.ConsumeAsync(team, 100)).Decision);
        Assert.Throws<QuotaException>(() => Engine.Commit(expiring.ReservationId, 60));
        await AssertUsageAsync((org, 100), (team, 100));
    }

    [Fact]
    public async Task A_suspended_ancestor_denies_and_is_named()
    {
        var org = await NodeAsync("org", 100);
        var team = await NodeAsync("team", 100, parent: org);
        Assert.Equal(Decision.Granted, (await Engine.ConsumeAsync(team, 1)).Decision);
        await _h.Central.UpsertAccountAsync(new AccountPolicy(org, AccountStatus.Suspended));
        await Engine.GetBalanceAsync(org, consistent: true); // this sidecar learns it at the org's next exchange

        var denied = await Engine.ReserveAsync(team, 1);
        Assert.Equal(DenyReason.AccountSuspended, denied.DenyReason);
        Assert.Equal(org, denied.DeniedAccountId);
    }

    [Fact]
    public async Task A_track_node_never_refuses_and_records_what_no_credits_cover_as_debt()
    {
        var tracker = await NodeAsync("tracker", 10, OverageMode.Track);
        var key = await NodeAsync("key", 1_000, parent: tracker);

        var hold = await Engine.ReserveAsync(key, 300);
        Assert.Equal(Decision.Granted, hold.Decision);
        Engine.Commit(hold.ReservationId, 300);
        Assert.Equal(Decision.Granted, (await Engine.ConsumeAsync(tracker, 50)).Decision);

        await _h.DrainAsync();
        var t = await _h.CentralBalanceAsync(tracker);
        Assert.Equal(10, t.Consumed); // its own credits first
        Assert.Equal(340, t.Overage); // the rest recorded, without a limit
        Assert.Equal(300, (await _h.CentralBalanceAsync(key)).Consumed);
    }

    [Fact]
    public async Task A_denied_path_charges_no_node()
    {
        var org = await NodeAsync("org", 1_000);
        var team = await NodeAsync("team", 30, parent: org);
        var key = await NodeAsync("key", 1_000, parent: team);

        var denied = await Engine.ConsumeAsync(key, 31);
        Assert.Equal(DenyReason.AncestorInsufficientCredits, denied.DenyReason);
        Assert.Equal(team, denied.DeniedAccountId);
        await AssertUsageAsync((org, 0), (team, 0), (key, 0));
    }

    [Fact]
    public async Task With_the_store_down_each_node_short_of_lease_takes_from_its_own_fail_open_allowance()
    {
        await using var h = new EngineHarness(o => (o.MinLease, o.MaxLease, o.FailOpenAllowance) = (10, 10, 5));
        var org = await NodeAsync(h, "org", 1_000);
        var team = await NodeAsync(h, "team", 1_000, parent: org);
        Assert.Equal(Decision.Granted, (await h.Engine.ConsumeAsync(team, 10)).Decision); // both leases now used up

        h.Store.Down = true;
        var open = await h.Engine.ConsumeAsync(team, 5);
        var beyond = await h.Engine.ConsumeAsync(team, 1);

        Assert.Equal(Decision.Granted, open.Decision);
        Assert.Equal(DenyReason.StoreUnavailable, beyond.DenyReason); // the allowance is per node, and spent
        Assert.Contains(beyond.DeniedAccountId, new[] { org, team });
        h.Store.Down = false;
        await h.DrainAsync();
        Assert.Equal(15, (await h.CentralBalanceAsync(org)).Consumed);
        Assert.Equal(15, (await h.CentralBalanceAsync(team)).Consumed);
    }

    [Fact]
    public async Task An_evicted_ancestor_is_loaded_again_by_the_next_request_on_its_child()
    {
        await using var h = new EngineHarness(o => o.EvictIdleAfter = TimeSpan.FromMinutes(1));
        var org = await NodeAsync(h, "org", 1_000);
        var team = await NodeAsync(h, "team", 1_000, parent: org);
        Assert.Equal(Decision.Granted, (await h.Engine.ConsumeAsync(team, 1)).Decision);
        for (var i = 0; i < 4; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(30));
            await h.Engine.SettleOnceAsync();
        }

        Assert.Equal(0, h.Engine.ActiveAccounts); // both forgotten, leases returned

        Assert.Equal(Decision.Granted, (await h.Engine.ConsumeAsync(team, 2)).Decision);
        await h.DrainAsync();
        Assert.Equal(3, (await h.CentralBalanceAsync(org)).Consumed);
        Assert.Equal(3, (await h.CentralBalanceAsync(team)).Consumed);
    }

    private Task<string> NodeAsync(string name, long credits, OverageMode mode = OverageMode.Hard, string? parent = null) =>
        NodeAsync(_h, name, credits, mode, parent);

    private static async Task<string> NodeAsync(EngineHarness h, string name, long credits, OverageMode mode = OverageMode.Hard, string? parent = null)
    {
        var id = $"{name}-{Guid.NewGuid():N}";
        await h.Central.UpsertAccountAsync(new AccountPolicy(id, AccountStatus.Active, mode, ParentId: parent));
        if (credits > 0)
        {
            await h.Central.GrantAsync(new GrantSpec(id, "initial", credits));
        }

        return id;
    }

    /// <summary>After a drain, each node's reported usage (consumed + overage), with conservation checked.</summary>
    private async Task AssertUsageAsync(params (string Account, long Usage)[] expected)
    {
        await _h.DrainAsync();
        foreach (var (account, usage) in expected)
        {
            var b = await _h.CentralBalanceAsync(account);
            Assert.True(usage == b.Consumed + b.Overage, $"{account}: expected usage {usage}, ledger has {b}");
            Assert.Equal(0, b.Leased);
        }
    }
}
