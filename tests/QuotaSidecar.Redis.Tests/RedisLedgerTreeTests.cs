using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Ledger;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Tests;

/// <summary>What only the Redis ledger's account tree has (docs/design.md#account-tree): the children index across slots,
/// which may hold ids that are no children (read filters them), and the parent field absent from a root's hash.</summary>
public sealed class RedisLedgerTreeTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly string _prefix = $"{redis.KeyPrefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task Children_the_index_holds_that_name_another_parent_or_do_not_exist_are_not_listed()
    {
        var ledger = NewLedger();
        var parent = NewAccountId();
        var other = NewAccountId();
        await ledger.UpsertAccountAsync(new AccountPolicy(parent));
        await ledger.UpsertAccountAsync(new AccountPolicy(other));
        var children = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            children.Add($"{parent}-c{i}");
            await ledger.UpsertAccountAsync(new AccountPolicy(children[^1], ParentId: parent));
        }

        // What a crash between the index write and the upsert leaves: ids in the index that are no children.
        var db = redis.Connection.GetDatabase();
        await db.SortedSetAddAsync(AccountKeys.Children(_prefix, parent), [new($"{parent}-c0a", 0), new($"{parent}-c1a", 0), new($"{parent}-c2a", 0)]);
        await ledger.UpsertAccountAsync(new AccountPolicy($"{parent}-c1a", ParentId: other));

        var first = await ledger.ListChildrenAsync(parent, null, 2);
        var second = await ledger.ListChildrenAsync(parent, first.Next, 2);

        Assert.Equal(children[..2], first.ChildIds);
        Assert.Equal(children[2..], second.ChildIds);
        Assert.Equal("", second.Next);
    }

    [Fact]
    public async Task A_root_keeps_no_parent_field_and_a_detached_account_loses_it()
    {
        var ledger = NewLedger();
        var parent = NewAccountId();
        var child = NewAccountId();
        await ledger.UpsertAccountAsync(new AccountPolicy(parent));
        await ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: parent));
        var db = redis.Connection.GetDatabase();

        var whileChild = await db.HashGetAsync(AccountKeys.Account(_prefix, child), "parent_id");
        await ledger.UpsertAccountAsync(new AccountPolicy(child));

        Assert.Equal(parent, (string?)whileChild);
        Assert.False(await db.HashExistsAsync(AccountKeys.Account(_prefix, parent), "parent_id"));
        Assert.False(await db.HashExistsAsync(AccountKeys.Account(_prefix, child), "parent_id"));
        Assert.Equal(0, await db.SortedSetLengthAsync(AccountKeys.Children(_prefix, parent)));
    }

    [Fact]
    public async Task An_upsert_that_keeps_the_parent_is_one_call_and_a_move_reads_the_tree()
    {
        var ledger = NewLedger();
        var parent = NewAccountId();
        var child = NewAccountId();
        await ledger.UpsertAccountAsync(new AccountPolicy(parent));
        await ledger.UpsertAccountAsync(new AccountPolicy(child, ParentId: parent));

        var before = ledger.CallCount;
        await ledger.UpsertAccountAsync(new AccountPolicy(child, LowBalanceThreshold: 7, ParentId: parent));
        var keep = ledger.CallCount - before;
        before = ledger.CallCount;
        await ledger.UpsertAccountAsync(new AccountPolicy(child));
        var detach = ledger.CallCount - before;

        Assert.Equal(1, keep);
        Assert.True(detach > 2, $"a detach made {detach} calls"); // refused FCALL, read, FCALL, index
    }

    private static string NewAccountId() => $"acct-{Guid.NewGuid():N}";

    private RedisLedger NewLedger() =>
        new(redis.Connection, new RedisLedgerOptions { KeyPrefix = _prefix, Central = new CentralLedgerOptions() }, _time);
}
