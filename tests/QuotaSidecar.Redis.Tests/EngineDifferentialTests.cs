using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;
using Xunit.Abstractions;

namespace QuotaSidecar.Redis.Tests;

/// <summary>
/// Two engines, one over the embedded ledger and one over Redis, on one fake clock, driven by the same seeded random
/// requests on an account tree (docs/design.md#account-tree, #path-holds) and a flat account: every answer (decision,
/// reason, the account that refused, hints, ids), every error and every node's central balance must be identical after
/// every step, and conserved. After the final drain each parent's usage is its own plus its children's.
/// Env: QUOTA_ENGINE_DIFF_SEED replays a seed, QUOTA_ENGINE_DIFF_OPS sets the number of steps (default 1,500).
/// </summary>
public sealed class EngineDifferentialTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task An_engine_over_redis_answers_as_one_over_the_embedded_ledger_on_a_tree()
    {
        var seed = EnvInt("QUOTA_ENGINE_DIFF_SEED") ?? Random.Shared.Next();
        var steps = EnvInt("QUOTA_ENGINE_DIFF_OPS") ?? 1_500;
        output.WriteLine($"seed {seed}, {steps} steps (replay with QUOTA_ENGINE_DIFF_SEED={seed})");
        var rng = new Random(seed);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var central = new CentralLedgerOptions { LeaseTtl = TimeSpan.FromSeconds(30), MaxLedgerEntries = 1_000_000 };
        var embedded = new EmbeddedLedger(central, time);
        var onRedis = new RedisLedger(redis.Connection, new RedisLedgerOptions { KeyPrefix = $"{redis.KeyPrefix}-ediff-{seed}", Central = central }, time);
        ICentralLedger[] ledgers = [embedded, onRedis];
        var engines = ledgers.Select(l => new QuotaEngine(l, Options(), time)).ToArray();

        // org (HARD pool) → team (SOFT, a cap with 200 of overage) → key-1 (TRACK), key-2 (HARD cap); flat (HARD, no parent).
        var nodes = new (string Id, OverageMode Mode, string? Parent, long Credits)[]
        {
            ("org", OverageMode.Hard, null, 3_000),
            ("team", OverageMode.Soft, "org", 1_500),
            ("key-1", OverageMode.Track, "team", 0),
            ("key-2", OverageMode.Hard, "team", 500),
            ("flat", OverageMode.Hard, null, 1_000),
        };
        foreach (var ledger in ledgers)
        {
            foreach (var (id, mode, parent, credits) in nodes)
            {
                await ledger.UpsertAccountAsync(new AccountPolicy(id, AccountStatus.Active, mode, mode == OverageMode.Soft ? 200 : 0, 100, ParentId: parent));
                if (credits > 0)
                {
                    await ledger.GrantAsync(new GrantSpec(id, "initial", credits));
                }
            }
        }

        var direct = nodes.ToDictionary(n => n.Id, _ => 0L);
        var holds = new List<(string Id, string Account, long Amount)>();
        var counts = new Dictionary<string, int>();
        var recent = new Queue<string>();
        var grants = 0;
        try
        {
            for (var step = 1; step <= steps; step++)
            {
                var account = nodes[rng.Next(nodes.Length)].Id;
                var roll = rng.Next(100);
                string op;
                if (roll < 30)
                {
                    var amount = rng.Next(1, 120);
                    var clientId = rng.Next(4) == 0 ? $"r-{step}" : null;
                    var answers = await BothAsync(engines, e => e.ReserveAsync(account, amount, clientId).AsTask());
                    Same(answers[0], answers[1]);
                    if (answers[0].Value is { Decision: Decision.Granted } granted)
                    {
                        holds.Add((granted.ReservationId, account, amount));
                    }

                    op = $"reserve {account} {amount} -> {Describe(answers[0])}";
                }
                else if (roll < 48 && holds.Count > 0)
                {
                    var (id, holder, amount) = holds[rng.Next(holds.Count)];
                    var actual = rng.NextInt64(0, (2 * amount) + 1);
                    var answers = await BothAsync(engines, e => Task.FromResult(e.Commit(id, actual)));
                    Same(answers[0], answers[1]);
                    if (answers[0].Error is null)
                    {
                        direct[holder] += actual;
                        holds.RemoveAll(h => h.Id == id);
                    }

                    op = $"commit {holder} {actual} -> {Describe(answers[0])}";
                }
                else if (roll < 56 && holds.Count > 0)
                {
                    var (id, holder, _) = holds[rng.Next(holds.Count)];
                    var answers = await BothAsync(engines, e => Task.FromResult(e.Release(id)));
                    Same(answers[0], answers[1]);
                    holds.RemoveAll(h => h.Id == id);
                    op = $"release {holder} -> {Describe(answers[0])}";
                }
                else if (roll < 78)
                {
                    var amount = rng.Next(1, 60);
                    var answers = await BothAsync(engines, e => e.ConsumeAsync(account, amount).AsTask());
                    Same(answers[0], answers[1]);
                    if (answers[0].Value is { Decision: Decision.Granted })
                    {
                        direct[account] += amount;
                    }

                    op = $"consume {account} {amount} -> {Describe(answers[0])}";
                }
                else if (roll < 84)
                {
                    var amount = rng.Next(1, 600);
                    var grantId = $"g-{++grants}";
                    foreach (var ledger in ledgers)
                    {
                        await ledger.GrantAsync(new GrantSpec(account, grantId, amount));
                    }

                    op = $"grant {account} {amount}";
                }
                else if (roll < 92)
                {
                    foreach (var engine in engines)
                    {
                        await engine.ProcessRefillsAsync();
                        await engine.SettleOnceAsync();
                    }

                    op = "settle";
                }
                else
                {
                    var by = rng.Next(20) == 0 ? TimeSpan.FromMinutes(rng.Next(1, 90)) : TimeSpan.FromMilliseconds(rng.Next(1, 5_000));
                    time.Advance(by);
                    op = $"advance {by}";
                }

                counts[op.Split(' ')[0]] = counts.GetValueOrDefault(op.Split(' ')[0]) + 1;
                foreach (var reason in new[] { "InsufficientCredits", "AncestorInsufficientCredits" })
                {
                    if (op.Contains($"DenyReason = {reason},", StringComparison.Ordinal))
                    {
                        counts[reason] = counts.GetValueOrDefault(reason) + 1;
                    }
                }

                Remember(recent, $"{step}: {op}");
                foreach (var (id, _, _, _) in nodes)
                {
                    var a = (await embedded.GetAccountAsync(id))!.Balance;
                    var b = (await onRedis.GetAccountAsync(id))!.Balance;
                    Assert.True(a.IsConserved, $"{id} embedded: {a}");
                    Assert.Equal(a, b);
                }
            }

            foreach (var engine in engines)
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await engine.ShutdownAsync(bound.Token);
            }

            var used = new Dictionary<string, long>();
            foreach (var (id, _, _, _) in nodes)
            {
                var a = (await embedded.GetAccountAsync(id))!.Balance;
                Assert.Equal(a, (await onRedis.GetAccountAsync(id))!.Balance);
                Assert.Equal(0, a.Leased);
                used[id] = a.Consumed + a.Overage;
            }

            output.WriteLine("covered: " + string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}")));
            output.WriteLine("usage: " + string.Join(", ", used.Select(u => string.Create(CultureInfo.InvariantCulture, $"{u.Key}={u.Value} (direct {direct[u.Key]})"))));
            Assert.Equal(direct["key-1"], used["key-1"]);
            Assert.Equal(direct["key-2"], used["key-2"]);
            Assert.Equal(direct["team"] + used["key-1"] + used["key-2"], used["team"]);
            Assert.Equal(direct["org"] + used["team"], used["org"]);
            Assert.Equal(direct["flat"], used["flat"]);
        }
        catch (Exception e) when (e is not InvalidOperationException)
        {
            throw new InvalidOperationException($"seed {seed}; last steps:\n{string.Join("\n", recent)}\n{e.Message}", e);
        }
        finally
        {
            foreach (var engine in engines)
            {
                await engine.DisposeAsync();
            }
        }
    }

    private static EngineOptions Options() => new()
    {
        InstanceId = "ediff",
        ReclaimWait = TimeSpan.Zero,
        OutageHorizon = TimeSpan.Zero,
        MaxStoreWait = TimeSpan.FromSeconds(30), // the fake clock never moves during a call: the budget cannot run out
        ExchangeTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>The same call on both engines, one after the other: its value or the error it threw.</summary>
    private static async Task<Outcome<T>[]> BothAsync<T>(QuotaEngine[] engines, Func<QuotaEngine, Task<T>> call)
    {
        var outcomes = new Outcome<T>[engines.Length];
        for (var i = 0; i < engines.Length; i++)
        {
            try
            {
                outcomes[i] = new Outcome<T>(await call(engines[i]), null);
            }
            catch (QuotaException e)
            {
                outcomes[i] = new Outcome<T>(default, e.Error);
            }
        }

        return outcomes;
    }

    private static void Same<T>(Outcome<T> embedded, Outcome<T> onRedis) => Assert.Equal(embedded, onRedis);

    private static string Describe<T>(Outcome<T> o) => o.Error is { } error ? $"error {error}" : $"{o.Value}";

    private static void Remember(Queue<string> recent, string line)
    {
        recent.Enqueue(line);
        if (recent.Count > 12)
        {
            recent.Dequeue();
        }
    }

    private static int? EnvInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    private readonly record struct Outcome<T>(T? Value, QuotaError? Error);
}
