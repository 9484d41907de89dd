using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;

namespace QuotaSidecar.Redis.Tests;

/// <summary>
/// Scenarios the random differential test reaches too rarely to rely on, played on both ledgers: they must write the
/// same ledger entries in the same order.
/// </summary>
public sealed class RedisLedgerMatchesEmbeddedTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CentralLedgerOptions Defaults = new();

    /// <summary>Long enough for every lease taken at the start to be reclaimed (TTL plus the reclaim grace).</summary>
    private static readonly TimeSpan PastLeaseAndGrace = Defaults.LeaseTtl + Defaults.ReclaimGrace + TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Leases_reclaimed_together_give_voided_credits_back_in_the_same_order()
    {
        // i1 takes, i2 takes, i1 returns everything (its lease is removed), i3 takes (reusing i1's old place),
        // i1 takes again: neither name order nor first-take order is the order the embedded ledger walks them in.
        var entries = await PlayOnBoth(async (ledger, time, id) =>
        {
            await ledger.GrantAsync(new GrantSpec(id, "doomed", 1_000, Priority: 1));
            await ledger.GrantAsync(new GrantSpec(id, "spare", 1_000, Priority: 2));
            await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 10, MinAcceptable: 10));
            await ledger.ExchangeAsync(new LeaseExchange(id, "i2", 1, Want: 20, MinAcceptable: 20));
            await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Return: 10));
            await ledger.ExchangeAsync(new LeaseExchange(id, "i3", 1, Want: 30, MinAcceptable: 30));
            await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 3, Want: 40, MinAcceptable: 40));
            await ledger.VoidGrantAsync(id, "doomed");
            time.Advance(PastLeaseAndGrace);
            await ledger.GetAccountAsync(id);
        });

        Assert.Equal(4, entries.Count(e => e.StartsWith("Voided ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_lease_reclaimed_with_slices_of_several_voided_grants_gives_them_back_in_the_same_order()
    {
        // Slices are added in take order, not burn order, and a slice used up frees its place for the next one.
        var entries = await PlayOnBoth(async (ledger, time, id) =>
        {
            await ledger.GrantAsync(new GrantSpec(id, "b", 100, Priority: 5));
            await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 30, MinAcceptable: 30));
            await ledger.GrantAsync(new GrantSpec(id, "a", 20, Priority: 1));
            await ledger.GrantAsync(new GrantSpec(id, "c", 50, Priority: 9));
            await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Want: 90, MinAcceptable: 90)); // a 20, b 70
            await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 3, Used: 25, Want: 10, MinAcceptable: 10)); // a used up, c 10
            foreach (var g in new[] { "a", "b", "c" })
            {
                await ledger.VoidGrantAsync(id, g);
            }

            time.Advance(PastLeaseAndGrace);
            await ledger.GetAccountAsync(id);
        });

        Assert.Contains(entries, e => e.StartsWith("Voided 10 grant=c", StringComparison.Ordinal));
    }

    /// <summary>Runs the scenario on an embedded and a Redis ledger with their own clocks, asserts both wrote the same
    /// entries, and returns them.</summary>
    private async Task<List<string>> PlayOnBoth(Func<ICentralLedger, FakeTimeProvider, string, Task> scenario)
    {
        var results = new List<List<string>>();
        var id = $"acct-{Guid.NewGuid():N}";
        foreach (var make in new Func<FakeTimeProvider, ICentralLedger>[]
        {
            time => new EmbeddedLedger(new CentralLedgerOptions(), time),
            time => new RedisLedger(redis.Connection, new RedisLedgerOptions { KeyPrefix = redis.KeyPrefix }, time),
        })
        {
            var time = new FakeTimeProvider(Start);
            var ledger = make(time);
            await ledger.UpsertAccountAsync(new AccountPolicy(id));
            await scenario(ledger, time, id);
            var page = await ledger.ListEntriesAsync(id, null, 1000);
            results.Add(page.Entries.Select(LedgerFingerprint.Of).ToList());
            Assert.True((await ledger.GetAccountAsync(id))!.Balance.IsConserved);
        }

        Assert.Equal(results[0], results[1]);
        return results[0];
    }
}
