using System.Diagnostics;
using System.Globalization;
using QuotaSidecar.FaultTests.Harness;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests;

/// <summary>
/// Issue 14: a 3-primary, 3-replica Redis Cluster loses a primary under load and its replica is promoted. No exchange
/// is lost or applied twice (central consumed = GRANTED answers exactly, per account, accounts on every primary), no
/// answer waits beyond the budget, no call reaches its deadline.
/// </summary>
public sealed class RedisClusterFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_primary_killed_under_load_fails_over_to_its_replica_with_no_exchange_lost_or_applied_twice()
    {
        await using var cluster = await RedisCluster.StartAsync(
            primaries: 3, replicasPerPrimary: 1, nodeTimeout: TimeSpan.FromSeconds(1), "--appendonly", "yes", "--appendfsync", "everysec");
        var accounts = await OneAccountPerPrimaryAsync(cluster);
        var slot = await cluster.SlotOfAsync(accounts[0]);
        Assert.Equal(slot, RedisCluster.SlotOf(accounts[0])); // the local hash, used below for the newcomers, is the cluster's
        var victim = await cluster.PrimaryOfSlotAsync(slot);
        var replicas = await cluster.ReplicasOfAsync(victim);
        var victimSlots = (await cluster.TopologyAsync()).Single(n => n.Port == victim.Port);
        output.WriteLine("cluster before the kill:\n" + string.Join('\n', await cluster.TopologyAsync()));

        RedisServer? promoted = null;
        var failoverAfter = TimeSpan.Zero;
        var report = await new StoreFaultScenario
        {
            Fault = $"Redis Cluster, 3 primaries + 3 replicas (cluster-node-timeout {cluster.NodeTimeout.TotalMilliseconds} ms, AOF everysec): SIGKILL of the primary of '{accounts[0]}' ({victim.Endpoint}, slot {slot}), its replica promoted, 2 s of load after",
            Store = cluster.Endpoints,
            SteadyAccounts = accounts,
            CallersPerSteadyAccount = 1,
            Inject = async () =>
            {
                var killedAt = Stopwatch.GetTimestamp();
                await victim.KillAsync();
                (promoted, failoverAfter) = await cluster.WaitForFailoverAsync(victim, slot, killedAt, TimeSpan.FromSeconds(30));
                await Task.Delay(TimeSpan.FromSeconds(2));
            },
        }.RunAsync(output);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"failover: slot {slot} served by {promoted?.Endpoint} {failoverAfter.TotalMilliseconds:F0} ms after the kill (replicas of the victim: {string.Join(", ", replicas.Select(r => r.Endpoint))})"));
        output.WriteLine("cluster after:\n" + string.Join('\n', await cluster.TopologyAsync()));
        var onVictim = report.Newcomers.Where(s => victimSlots.Serves(RedisCluster.SlotOf(s.Account))).ToList();
        var elsewhere = report.Newcomers.Where(s => !victimSlots.Serves(RedisCluster.SlotOf(s.Account))).ToList();
        output.WriteLine($"newcomers during the fault, on the killed primary's slots: {onVictim.Between(report.Fault.From, report.Fault.To).ToList().Describe()}");
        output.WriteLine($"newcomers during the fault, on the other primaries:      {elsewhere.Between(report.Fault.From, report.Fault.To).ToList().Describe()}");
        report.AssertMustShow(
            StoreFaultReport.Check(replicas.Any(r => r.Port == promoted?.Port), $"slot {slot} went to {promoted?.Endpoint}, not to a replica of the killed primary"));
    }

    /// <summary>Account ids whose hash slots lie on different primaries, one per primary, the first on the primary the
    /// scenario kills.</summary>
    private static async Task<IReadOnlyList<string>> OneAccountPerPrimaryAsync(RedisCluster cluster)
    {
        var byPrimary = new Dictionary<int, string>();
        var primaries = (await cluster.TopologyAsync()).Count(n => n.IsPrimary);
        for (var i = 0; byPrimary.Count < primaries; i++)
        {
            var account = $"steady-{i}";
            var primary = await cluster.PrimaryOfSlotAsync(await cluster.SlotOfAsync(account));
            byPrimary.TryAdd(primary.Port, account);
        }

        return [.. byPrimary.Values];
    }
}
