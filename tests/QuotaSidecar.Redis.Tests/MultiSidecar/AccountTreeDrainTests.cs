using System.Globalization;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace QuotaSidecar.Redis.Tests.MultiSidecar;

/// <summary>
/// Three sidecars drain one org through several keys at once (docs/design.md#account-tree, #path-holds): every node's
/// lease and exchange are its own, and on Redis Cluster the nodes of a path live on different primaries (no cross-slot
/// script). The org pool is the binding limit: exactly its credits are granted, no HARD node goes into overage, a team
/// never passes its cap, every node conserves, and each parent's usage is its children's.
/// </summary>
public sealed class AccountTreeDrainTests(RedisFixture redis, RedisClusterFixture cluster, ITestOutputHelper output)
    : IClassFixture<RedisFixture>, IClassFixture<RedisClusterFixture>
{
    private const long OrgCredits = 6_000;
    private const long TeamACap = 2_500;
    private const long KeyB2Cap = 1_000;

    [Fact]
    public Task Three_sidecars_drain_an_org_through_its_keys_on_redis() => DrainAsync(redis.Connection, redis.KeyPrefix);

    [Fact]
    public Task Three_sidecars_drain_an_org_through_its_keys_on_the_cluster_with_nodes_on_different_primaries() =>
        DrainAsync(cluster.Connection, cluster.KeyPrefix, spreadOverPrimaries: true);

    private async Task DrainAsync(IConnectionMultiplexer connection, string keyPrefix, bool spreadOverPrimaries = false)
    {
        await using var rig = await EngineRig.CreateAsync(connection, $"{keyPrefix}-{Guid.NewGuid():N}", 1);
        var admin = rig.Admin;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var names = spreadOverPrimaries ? SpreadOverPrimaries(connection, suffix) : (Org: $"org-{suffix}", TeamA: $"team-a-{suffix}", TeamB: $"team-b-{suffix}");
        var (org, teamA, teamB) = names;
        string keyA1 = $"key-a1-{suffix}", keyA2 = $"key-a2-{suffix}", keyB1 = $"key-b1-{suffix}", keyB2 = $"key-b2-{suffix}";

        // org (HARD pool) → team-a (HARD, cap) → key-a1, key-a2 (TRACK); org → team-b (TRACK) → key-b1 (TRACK), key-b2 (HARD cap).
        await UpsertAsync(admin, org, OverageMode.Hard, null, OrgCredits);
        await UpsertAsync(admin, teamA, OverageMode.Hard, org, TeamACap);
        await UpsertAsync(admin, teamB, OverageMode.Track, org, 0);
        await UpsertAsync(admin, keyA1, OverageMode.Track, teamA, 0);
        await UpsertAsync(admin, keyA2, OverageMode.Track, teamA, 0);
        await UpsertAsync(admin, keyB1, OverageMode.Track, teamB, 0);
        await UpsertAsync(admin, keyB2, OverageMode.Hard, teamB, KeyB2Cap);
        string[] keys = [keyA1, keyA2, keyB1, keyB2];
        var parents = new Dictionary<string, string> { [keyA1] = teamA, [keyA2] = teamA, [keyB1] = teamB, [keyB2] = teamB, [teamA] = org, [teamB] = org };

        var engines = Enumerable.Range(0, 3).Select(i => rig.Start(new EngineOptions
        {
            InstanceId = $"tree-{i}-{Guid.NewGuid():N}"[..20],
            SettleInterval = TimeSpan.FromMilliseconds(50),
            ReclaimWait = TimeSpan.FromMilliseconds(300),
            MaxStoreWait = TimeSpan.FromSeconds(5), // about exactness, not the wait budget (see DrainTests)
            ExchangeTimeout = TimeSpan.FromSeconds(5),
        })).ToList();

        var granted = keys.ToDictionary(k => k, _ => 0L);
        var gate = new Lock();
        var denials = new Dictionary<string, int>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        async Task Worker(int seed)
        {
            var rng = new Random(seed);
            var done = new HashSet<(int Engine, string Key)>();
            while (done.Count < engines.Count * keys.Length && !timeout.IsCancellationRequested)
            {
                var e = rng.Next(engines.Count);
                var key = keys[rng.Next(keys.Length)];
                if (done.Contains((e, key)))
                {
                    continue;
                }

                var amount = rng.Next(1, 4);
                var useHold = rng.Next(2) == 0;
                var decision = useHold ? await ReserveCommitAsync(engines[e], key, amount) : await ConsumeAsync(engines[e], key, amount);
                if (decision.Granted)
                {
                    lock (gate)
                    {
                        granted[key] += amount;
                    }

                    continue;
                }

                // A denial names a node of the key's path, with the reason for it.
                Assert.Contains(decision.DeniedBy, PathOf(key, parents));
                Assert.Equal(decision.DeniedBy == key ? DenyReason.InsufficientCredits : DenyReason.AncestorInsufficientCredits, decision.Reason);
                lock (gate)
                {
                    denials[decision.DeniedBy] = denials.GetValueOrDefault(decision.DeniedBy) + 1;
                }

                if (amount == 1)
                {
                    done.Add((e, key)); // a one-credit request refused after the reclaim wait: nothing left on this path here
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => Worker(4200 + i)))).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.False(timeout.IsCancellationRequested, "the workers did not drain the org within 60 s");

        // Every sidecar is asked once more on every key, one credit at a time, until it denies too (as in DrainTests).
        foreach (var engine in engines)
        {
            foreach (var key in keys)
            {
                for (var i = 0; i < 10_000 && (await engine.ConsumeAsync(key, 1).AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Decision == Decision.Granted; i++)
                {
                    granted[key]++;
                }
            }
        }

        await rig.ShutdownAllAsync(TimeSpan.FromSeconds(5));

        var usage = new Dictionary<string, Balance>();
        foreach (var account in new[] { org, teamA, teamB }.Concat(keys))
        {
            var b = (await admin.GetAccountAsync(account))!.Balance;
            Assert.True(b.IsConserved, $"{account}: {b}");
            Assert.Equal(0, b.Leased);
            usage[account] = b;
        }

        long Used(string a) => usage[a].Consumed + usage[a].Overage;
        output.WriteLine(string.Join("\n", usage.Select(kv => $"{kv.Key}: {kv.Value}")));
        output.WriteLine("granted per key: " + string.Join(", ", granted.Select(kv => $"{kv.Key}={kv.Value}")));
        output.WriteLine("denials by account: " + string.Join(", ", denials.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value}"))));

        foreach (var key in keys)
        {
            Assert.Equal(granted[key], Used(key));
        }

        Assert.Equal(Used(keyA1) + Used(keyA2), Used(teamA));
        Assert.Equal(Used(keyB1) + Used(keyB2), Used(teamB));
        Assert.Equal(Used(teamA) + Used(teamB), Used(org));

        // The org pool is exactly drained, and no HARD node went beyond its credits.
        Assert.Equal(OrgCredits, granted.Values.Sum());
        Assert.Equal(OrgCredits, usage[org].Consumed);
        foreach (var hard in new[] { org, teamA, keyB2 })
        {
            Assert.Equal(0, usage[hard].Overage);
        }

        Assert.True(Used(teamA) <= TeamACap && Used(keyB2) <= KeyB2Cap);
    }

    private static async Task<(bool Granted, DenyReason Reason, string DeniedBy)> ReserveCommitAsync(QuotaEngine engine, string key, long amount)
    {
        var r = await engine.ReserveAsync(key, amount).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        if (r.Decision != Decision.Granted)
        {
            return (false, r.DenyReason, r.DeniedAccountId);
        }

        engine.Commit(r.ReservationId, amount);
        return (true, DenyReason.None, "");
    }

    private static async Task<(bool Granted, DenyReason Reason, string DeniedBy)> ConsumeAsync(QuotaEngine engine, string key, long amount)
    {
        var r = await engine.ConsumeAsync(key, amount).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return (r.Decision == Decision.Granted, r.DenyReason, r.DeniedAccountId);
    }

    private static IEnumerable<string> PathOf(string account, Dictionary<string, string> parents)
    {
        for (string? a = account; a is not null; a = parents.GetValueOrDefault(a))
        {
            yield return a;
        }
    }

    private static async Task UpsertAsync(RedisLedger admin, string id, OverageMode mode, string? parent, long credits)
    {
        await admin.UpsertAccountAsync(new AccountPolicy(id, AccountStatus.Active, mode, ParentId: parent));
        if (credits > 0)
        {
            await admin.GrantAsync(new GrantSpec(id, "cap", credits));
        }
    }

    /// <summary>Ids for the org and its teams whose keys (hash tag = the account id) fall on three different primaries.</summary>
    private static (string Org, string TeamA, string TeamB) SpreadOverPrimaries(IConnectionMultiplexer connection, string suffix)
    {
        var config = connection.GetServers().First(s => s.IsConnected).ClusterConfiguration!;
        string Primary(string id) => config.GetBySlot(connection.HashSlot(id))!.EndPoint!.ToString()!;
        for (var i = 0; i < 10_000; i++)
        {
            string org = $"org-{suffix}-{i}", teamA = $"team-a-{suffix}-{i}", teamB = $"team-b-{suffix}-{i}";
            if (new[] { Primary(org), Primary(teamA), Primary(teamB) }.Distinct().Count() == 3)
            {
                return (org, teamA, teamB);
            }
        }

        throw new InvalidOperationException("no ids on three different primaries");
    }
}
