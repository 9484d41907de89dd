using System.Net;
using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Tests;

/// <summary>What the cluster adds: accounts on different masters, each master with its own function library.</summary>
public sealed class RedisClusterLedgerTests(RedisClusterFixture cluster) : IClassFixture<RedisClusterFixture>
{
    [Fact]
    public async Task Accounts_on_every_master_work_after_each_master_lost_its_library()
    {
        var masters = cluster.Connection.GetServers().Where(s => s.IsConnected && !s.IsReplica).ToList();
        var accounts = AccountPerMaster(masters);
        foreach (var server in masters)
        {
            if (await LibraryLoadedAsync(server))
            {
                await server.ExecuteAsync("FUNCTION", "DELETE", Scripts.LedgerLibrary.Instance.Name);
            }
        }

        var prefix = $"{cluster.KeyPrefix}-{Guid.NewGuid():N}";
        var ledger = new RedisLedger(cluster.Connection, new RedisLedgerOptions { KeyPrefix = prefix }, new FakeTimeProvider());
        foreach (var id in accounts.Values)
        {
            await ledger.UpsertAccountAsync(new AccountPolicy(id));
            await ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
            var take = await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Used: 0, Want: 100, MinAcceptable: 100));
            await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 60, Return: 40));
            Assert.Equal(100, take.Granted);
            var view = await ledger.GetAccountAsync(id);
            Assert.Equal(new Balance(Available: 940, Leased: 0, Consumed: 60, Expired: 0, Voided: 0, Overage: 0, Granted: 1_000), view!.Balance);
        }

        foreach (var server in masters)
        {
            var keys = new List<RedisKey>();
            await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
            {
                keys.Add(key);
            }

            // Each master holds the keys of exactly its own account (the emptied lease hash is gone), and has the
            // library loaded.
            var id = accounts[server.EndPoint];
            string[] expected = ["account", "events", "exchanges", "grants", "ledger"];
            Assert.Equal(expected.Select(k => $"{prefix}:{{{id}}}:{k}"), keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
            Assert.True(await LibraryLoadedAsync(server), $"library not loaded on {server.EndPoint}");
        }
    }

    [Fact]
    public void An_account_is_on_the_shard_of_the_master_serving_its_slot()
    {
        var masters = cluster.Connection.GetServers().Where(s => s.IsConnected && !s.IsReplica).ToList();
        var ledger = new RedisLedger(cluster.Connection, new RedisLedgerOptions { KeyPrefix = cluster.KeyPrefix }, new FakeTimeProvider());

        // The breaker per shard (docs/design.md#store-breaker) keys on this: one shard per master, named by its endpoint.
        var shards = AccountPerMaster(masters).Select(a => (Master: a.Key.ToString(), Shard: ledger.ShardOf(a.Value))).ToList();
        Assert.All(shards, s => Assert.Equal(s.Master, s.Shard));
        Assert.Equal(masters.Count, shards.Select(s => s.Shard).Distinct().Count());

    }

    private static async Task<bool> LibraryLoadedAsync(IServer server)
    {
        var list = await server.ExecuteAsync("FUNCTION", "LIST", "LIBRARYNAME", Scripts.LedgerLibrary.Instance.Name);
        return ((RedisResult[])list!).Length > 0;
    }

    /// <summary>One account id per master: the slot depends only on the hash tag, i.e. the account id.</summary>
    private Dictionary<EndPoint, string> AccountPerMaster(List<IServer> masters)
    {
        var config = masters[0].ClusterConfiguration ?? throw new InvalidOperationException("not a cluster");
        var byMaster = new Dictionary<EndPoint, string>();
        for (var i = 0; byMaster.Count < masters.Count && i < 10_000; i++)
        {
            var id = $"spread-{i}";
            var node = config.GetBySlot(cluster.Connection.HashSlot($"{{{id}}}"))
                ?? throw new InvalidOperationException($"no node serves the slot of {id}");
            var master = masters.Single(m => m.EndPoint.Equals(node.EndPoint));
            byMaster.TryAdd(master.EndPoint, id);
        }

        Assert.Equal(masters.Count, byMaster.Count);
        return byMaster;
    }
}
