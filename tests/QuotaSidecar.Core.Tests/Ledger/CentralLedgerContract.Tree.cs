using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Tests.Ledger;

/// <summary>The account tree (docs/design.md#account-tree): parent_id kept and answered, the rules of UpsertAccount (the
/// parent exists, no cycle, depth, no parent change while leased), the children index, and TRACK accounts.</summary>
public abstract partial class CentralLedgerContract
{
    [Fact]
    public async Task A_child_names_its_parent_in_every_view_and_in_the_exchange_answer()
    {
        var parent = await NewAccountAsync();
        var child = NewAccountId();

        var created = await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: parent));
        await Ledger.GrantAsync(new GrantSpec(child, "g1", 100));
        var exchange = new LeaseExchange(child, "i1", 1, Want: 10, MinAcceptable: 1);
        var answer = await Ledger.ExchangeAsync(exchange);
        await Ledger.ExchangeAsync(exchange with { Sequence = 2, Want = 0, MinAcceptable = 0 });
        var retried = await Ledger.ExchangeAsync(exchange with { Sequence = 2, Want = 0, MinAcceptable = 0 });
        var stale = await Ledger.ExchangeAsync(exchange);

        Assert.Equal(parent, created.Policy.ParentId);
        Assert.Equal(parent, (await Ledger.GetAccountAsync(child))!.Policy.ParentId);
        Assert.Equal(parent, answer.Policy!.ParentId);
        Assert.Equal(parent, retried.Policy!.ParentId);
        Assert.Equal(parent, stale.Policy!.ParentId);
        Assert.Null((await Ledger.GetAccountAsync(parent))!.Policy.ParentId);
        await AssertBalance(child, available: 90, leased: 10, granted: 100);
    }

    [Fact]
    public async Task A_retried_exchange_answers_the_parent_of_now_not_of_its_first_answer()
    {
        var first = await NewAccountAsync();
        var second = await NewAccountAsync();
        var child = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: first));
        await Ledger.GrantAsync(new GrantSpec(child, "g1", 100));
        var exchange = new LeaseExchange(child, "i1", 1, Used: 0);
        await Ledger.ExchangeAsync(exchange); // holds no lease afterwards: the parent may change

        await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: second));
        var retried = await Ledger.ExchangeAsync(exchange);

        Assert.Equal(second, retried.Policy!.ParentId);
    }

    [Fact]
    public async Task The_parent_must_exist()
    {
        var child = NewAccountId();
        var missing = NewAccountId();

        var e = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: missing)));

        Assert.Equal(QuotaError.NotFound, e.Error);
        Assert.Contains($"parent_id '{missing}' not found", e.Message, StringComparison.Ordinal);
        Assert.Null(await Ledger.GetAccountAsync(child));
    }

    [Fact]
    public async Task A_parent_that_is_the_account_or_one_of_its_descendants_is_a_cycle()
    {
        var (a, b, c) = await ChainAsync();

        var self = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.UpsertAccountAsync(new AccountPolicy(a, ParentId: a)));
        var grandchild = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.UpsertAccountAsync(new AccountPolicy(a, ParentId: c)));
        var child = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.UpsertAccountAsync(new AccountPolicy(a, ParentId: b)));

        Assert.Equal(QuotaError.InvalidArgument, self.Error);
        Assert.Equal(QuotaError.InvalidArgument, grandchild.Error);
        Assert.Equal(QuotaError.InvalidArgument, child.Error);
        Assert.Contains($"parent_id '{c}' is account '{a}' or one of its descendants", grandchild.Message, StringComparison.Ordinal);
        Assert.Null((await Ledger.GetAccountAsync(a))!.Policy.ParentId);
        Assert.Equal([b], (await Ledger.ListChildrenAsync(a, null, 10)).ChildIds);
    }

    [Fact]
    public async Task A_tree_has_at_most_four_levels()
    {
        var (a, b, c) = await ChainAsync();
        var d = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(d, ParentId: c)); // level 4
        var e = NewAccountId();

        var tooDeep = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.UpsertAccountAsync(new AccountPolicy(e, ParentId: d)));

        Assert.Equal(QuotaError.InvalidArgument, tooDeep.Error);
        Assert.Contains($"parent_id '{d}' would put account '{e}' at level 5", tooDeep.Message, StringComparison.Ordinal);
        Assert.Null(await Ledger.GetAccountAsync(e));
        Assert.Equal(c, (await Ledger.GetAccountAsync(d))!.Policy.ParentId);
        Assert.Equal([b], (await Ledger.ListChildrenAsync(a, null, 10)).ChildIds);
    }

    [Fact]
    public async Task Moving_an_account_counts_the_levels_of_its_subtree()
    {
        var (_, b, c) = await ChainAsync(); // c at level 3
        var x = await NewAccountAsync();
        var y = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(y, ParentId: x)); // x has two levels

        var tooDeep = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.UpsertAccountAsync(new AccountPolicy(x, ParentId: c)));
        var moved = await Ledger.UpsertAccountAsync(new AccountPolicy(x, ParentId: b)); // x at 3, y at 4

        Assert.Equal(QuotaError.InvalidArgument, tooDeep.Error);
        Assert.Contains($"the deepest account under '{x}' at level 5", tooDeep.Message, StringComparison.Ordinal);
        Assert.Equal(b, moved.Policy.ParentId);
        Assert.Contains(x, (await Ledger.ListChildrenAsync(b, null, 10)).ChildIds);
        Assert.Equal([y], (await Ledger.ListChildrenAsync(x, null, 10)).ChildIds);
    }

    [Fact]
    public async Task The_parent_cannot_change_while_a_sidecar_holds_credits_of_the_account_and_can_after_they_are_returned()
    {
        var first = await NewAccountAsync();
        var second = await NewAccountAsync();
        var child = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: first));
        await Ledger.GrantAsync(new GrantSpec(child, "g1", 100));
        await Ledger.ExchangeAsync(new LeaseExchange(child, "i1", 1, Want: 30, MinAcceptable: 1));

        var refused = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: second)));
        var detachRefused = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.UpsertAccountAsync(new AccountPolicy(child)));
        var sameParent = await Ledger.UpsertAccountAsync(new AccountPolicy(child, LowBalanceThreshold: 5, ParentId: first)); // other settings may change

        Assert.Equal(QuotaError.FailedPrecondition, refused.Error);
        Assert.Equal(QuotaError.FailedPrecondition, detachRefused.Error);
        Assert.Contains($"parent_id of account '{child}' cannot change while sidecars hold a lease on it (30 credits", refused.Message, StringComparison.Ordinal);
        Assert.Contains("retry after its leases are returned", refused.Message, StringComparison.Ordinal);
        Assert.Equal(first, sameParent.Policy.ParentId);
        Assert.Empty((await Ledger.ListChildrenAsync(second, null, 10)).ChildIds);

        await Ledger.ExchangeAsync(new LeaseExchange(child, "i1", 2, Used: 10, Return: 20));
        var moved = await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: second));

        Assert.Equal(second, moved.Policy.ParentId);
        Assert.Empty((await Ledger.ListChildrenAsync(first, null, 10)).ChildIds);
        Assert.Equal([child], (await Ledger.ListChildrenAsync(second, null, 10)).ChildIds);
        await AssertBalance(child, available: 90, consumed: 10, granted: 100);
    }

    [Fact]
    public async Task The_parent_cannot_change_while_a_sidecar_holds_overage_allowance_of_the_account()
    {
        var parent = await NewAccountAsync();
        var child = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(child, OverageMode: OverageMode.Soft, OverageLimit: 50, ParentId: parent));
        var taken = await Ledger.ExchangeAsync(new LeaseExchange(child, "i1", 1, OverageWant: 20));

        var refused = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.UpsertAccountAsync(new AccountPolicy(child, OverageMode: OverageMode.Soft, OverageLimit: 50)));

        Assert.Equal(20, taken.OverageGranted);
        Assert.Equal(QuotaError.FailedPrecondition, refused.Error);
        Assert.Contains("0 credits and 20 overage allowance out", refused.Message, StringComparison.Ordinal);
        Assert.Equal(parent, (await Ledger.GetAccountAsync(child))!.Policy.ParentId);
    }

    [Fact]
    public async Task A_lease_that_expired_does_not_hold_the_parent()
    {
        var first = await NewAccountAsync();
        var second = await NewAccountAsync();
        var child = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: first));
        await Ledger.GrantAsync(new GrantSpec(child, "g1", 100));
        await Ledger.ExchangeAsync(new LeaseExchange(child, "i1", 1, Want: 30, MinAcceptable: 1));

        Time.Advance(Options.LeaseTtl + Options.ReclaimGrace + TimeSpan.FromSeconds(1)); // the sidecar died: reclaimed
        var moved = await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: second));

        Assert.Equal(second, moved.Policy.ParentId);
        await AssertBalance(child, available: 100, granted: 100);
    }

    [Fact]
    public async Task Detaching_makes_a_root_and_leaves_the_parent_s_children()
    {
        var parent = await NewAccountAsync();
        var child = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: parent));

        var detached = await Ledger.UpsertAccountAsync(new AccountPolicy(child));

        Assert.Null(detached.Policy.ParentId);
        Assert.Null((await Ledger.GetAccountAsync(child))!.Policy.ParentId);
        Assert.Empty((await Ledger.ListChildrenAsync(parent, null, 10)).ChildIds);
    }

    [Fact]
    public async Task Children_are_paged_by_id()
    {
        var parent = await NewAccountAsync();
        var children = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var child = $"{parent}-c{4 - i}"; // created out of order
            await Ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: parent));
            children.Add(child);
        }

        children.Sort(StringComparer.Ordinal);
        var first = await Ledger.ListChildrenAsync(parent, null, 2);
        var second = await Ledger.ListChildrenAsync(parent, first.Next, 2);
        var third = await Ledger.ListChildrenAsync(parent, second.Next, 2);
        var all = await Ledger.ListChildrenAsync(parent, "", 5);

        Assert.Equal(children[..2], first.ChildIds);
        Assert.Equal(children[1], first.Next);
        Assert.Equal(children[2..4], second.ChildIds);
        Assert.Equal([children[4]], third.ChildIds);
        Assert.Equal("", third.Next);
        Assert.Equal(children, all.ChildIds);
        Assert.Equal("", all.Next);
        Assert.Empty((await Ledger.ListChildrenAsync(children[0], null, 10)).ChildIds);
    }

    [Fact]
    public async Task Listing_children_of_an_unknown_account_or_with_a_bad_page_is_refused()
    {
        var parent = await NewAccountAsync();

        var unknown = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.ListChildrenAsync(NewAccountId(), null, 10));
        var zero = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.ListChildrenAsync(parent, null, 0));
        var tooMany = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.ListChildrenAsync(parent, null, 1001));
        var badCursor = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.ListChildrenAsync(parent, "a b", 10));

        Assert.Equal(QuotaError.NotFound, unknown.Error);
        Assert.Equal(QuotaError.InvalidArgument, zero.Error);
        Assert.Equal(QuotaError.InvalidArgument, tooMany.Error);
        Assert.Equal(QuotaError.InvalidArgument, badCursor.Error);
        Assert.Contains("after", badCursor.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_track_account_records_debt_beyond_its_overage_limit_and_is_never_leased_overage_allowance()
    {
        var id = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, OverageMode: OverageMode.Track, OverageLimit: 10));
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 100));
        var taken = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 100, MinAcceptable: 1, OverageWant: 50));

        var reported = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 600, OverageWant: 50));

        Assert.Equal(100, taken.Granted);
        Assert.Equal(0, taken.OverageGranted);
        Assert.Equal(0, taken.OverageHeadroom);
        Assert.Equal(0, reported.OverageGranted);
        Assert.Equal(OverageMode.Track, reported.Policy!.OverageMode);
        await AssertBalance(id, consumed: 100, overage: 500, granted: 100);
        var entries = (await Ledger.ListEntriesAsync(id, null, 100)).Entries;
        Assert.Contains(entries, e => e.Kind == LedgerEntryKind.Overage && e.Amount == 500);
    }

    // a (root) -> b -> c: three levels.
    private async Task<(string A, string B, string C)> ChainAsync()
    {
        var a = await NewAccountAsync();
        var b = NewAccountId();
        var c = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(b, ParentId: a));
        await Ledger.UpsertAccountAsync(new AccountPolicy(c, ParentId: b));
        return (a, b, c);
    }
}
