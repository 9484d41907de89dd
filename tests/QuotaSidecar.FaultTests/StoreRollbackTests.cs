using System.Diagnostics;
using System.Globalization;
using QuotaSidecar.FaultTests.Harness;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests;

/// <summary>
/// The store goes back in time under load (docs/design.md#store-rollback): redis-server is SIGKILLed and restarts from a
/// snapshot taken seconds earlier, so it has lost usage reports, refills and returns it had acknowledged. Each sidecar
/// detects it at its next exchange, logs it and counts it, has the lost usage charged again once and adopts the lease
/// the store remembers; after a graceful stop every granted credit is consumed exactly once and credits are conserved.
/// </summary>
public sealed class StoreRollbackTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Redis_restarted_from_an_older_snapshot_is_detected_and_every_granted_credit_is_consumed_once()
    {
        // RDB only, no automatic saves: SAVE writes an exact snapshot, and a restart after SIGKILL loads exactly it, the
        // way a restore from a backup (or an AOF that lost its tail) goes back in time.
        await using var redis = await RedisServer.StartAsync("--appendonly", "no");
        await using var fleet = new Fleet(redis.Endpoint, new Dictionary<string, string>
        {
            // Small leases, so refills (and idle-free returns of surplus) happen after the snapshot and are lost too.
            ["Quota__Leases__Min"] = "200",
            ["Quota__Leases__Max"] = "2000",
            ["Quota__Redis__KeyPrefix"] = "q", // read from the snapshot below
        });
        var nodes = new[] { await fleet.StartAsync("a"), await fleet.StartAsync("b") };
        var sidecars = nodes.Select(n => n.Sidecar).ToArray();
        const string account = "rollback";
        await Fleet.CreateAccountAsync(nodes[0].Admin, account, 1_000_000_000);

        var loads = nodes.Select(n => ConsumeLoad.Start(n.Quota, account, workers: 2)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(2)); // leases taken, JIT warm
        Assert.Equal("OK", await redis.CliAsync("SAVE"));
        var snapshotDirectory = Path.Combine(Path.GetTempPath(), $"quota-rollback-snapshot-{Guid.NewGuid():N}");
        Directory.CreateDirectory(snapshotDirectory);
        File.Copy(Path.Combine(redis.Directory, "dump.rdb"), Path.Combine(snapshotDirectory, "dump.rdb"));
        var refillsAtSnapshot = await SumAsync(sidecars, "quota_lease_refills_total");

        await Task.Delay(TimeSpan.FromSeconds(3)); // what the store will lose
        var beforeKill = await Fleet.BalanceAsync(nodes[0].Admin, account);
        var refillsLost = await SumAsync(sidecars, "quota_lease_refills_total") - refillsAtSnapshot;
        await redis.KillAsync();
        await redis.RestartAsync();
        var restarted = Stopwatch.GetTimestamp();

        // Every sidecar finds out at its next exchange once Redis answers again.
        var detected = await Wait.UntilAsync(
            async () => (await Task.WhenAll(sidecars.Select(s => Scrape.ReadAsync(s.HttpPort)))).All(s => s.Sum("quota_store_rollbacks_total") >= 1),
            TimeSpan.FromSeconds(15),
            TimeSpan.FromMilliseconds(50));
        var detectedAfter = Stopwatch.GetElapsedTime(restarted).TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(2)); // load goes on, in step with the store again
        var samples = (await Task.WhenAll(loads.Select(l => l.StopAsync()))).SelectMany(s => s).ToList();
        var scrapes = await Task.WhenAll(sidecars.Select(s => Scrape.ReadAsync(s.HttpPort)));
        var rollbacks = scrapes.Select(s => s.Sum("quota_store_rollbacks_total")).ToArray();
        var restoredCredits = scrapes.Sum(s => s.Sum("quota_store_rollback_restored_total"));

        var exits = await SidecarProcess.TerminateAllAsync(sidecars, TimeSpan.FromSeconds(20));
        var logged = sidecars.Count(s => s.Output.Contains("Central store went back in time for account rollback", StringComparison.Ordinal));
        var auditor = await fleet.StartAsync("auditor");
        var balance = await Fleet.BalanceAsync(auditor.Admin, account);
        var granted = samples.GrantedCredits(1);
        var failed = samples.Count(s => !s.Granted);

        // What the store went back to, read from a copy of the snapshot on a redis-server of its own (the sidecars
        // resynchronise within a second or two of the restart, so the restarted server shows it only briefly).
        long snapshotConsumed, snapshotLeased;
        try
        {
            await using var snapshot = await RedisServer.StartAsync(snapshotDirectory, ["--appendonly", "no"], CancellationToken.None);
            snapshotConsumed = long.Parse(await snapshot.CliAsync("HGET", $"q:{{{account}}}:account", "consumed"), CultureInfo.InvariantCulture);
            var leases = (await snapshot.CliAsync("HVALS", $"q:{{{account}}}:leases")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            snapshotLeased = leases.Sum(l => l.Split(' ').Skip(2).Where((_, i) => i % 2 == 1).Sum(x => long.Parse(x, CultureInfo.InvariantCulture)));
        }
        finally
        {
            Directory.Delete(snapshotDirectory, recursive: true);
        }

        var knownLost = beforeKill.Consumed - snapshotConsumed;

        output.WriteLine($"2 sidecars x 2 closed-loop Consume(1) callers, Leases.Min=200 Max=2000; snapshot (SAVE) then 3 s of load, SIGKILL, restart from the snapshot");
        output.WriteLine($"central consumed: in the snapshot {snapshotConsumed}, read 3 s later just before the kill {beforeKill.Consumed} (so at least {knownLost} lost); leased: in the snapshot {snapshotLeased}, before the kill {beforeKill.Leased}; refills after the snapshot (lost): {refillsLost}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"detected: {detected} on every sidecar {detectedAfter:F2} s after Redis answered; rollbacks per sidecar: {string.Join(", ", rollbacks)}; usage charged again: {restoredCredits}; warnings logged by {logged}/2"));
        output.WriteLine("a's warning: " + sidecars[0].Output.Split('\n').FirstOrDefault(l => l.Contains("went back in time", StringComparison.Ordinal))?.Trim());
        output.WriteLine($"granted to clients {granted} (not granted {failed}); central after SIGTERM: {Fleet.Describe(balance)}; SIGTERM exits (s): {string.Join(", ", exits.Select(e => e.ToString("F2", CultureInfo.InvariantCulture)))}");

        Assert.True(knownLost > 0, "the restart lost no acknowledged usage: the scenario did not roll the store back");
        Assert.True(detected, $"not every sidecar detected the rollback within 15 s: {string.Join(", ", rollbacks)}");
        Assert.All(rollbacks, r => Assert.Equal(1, r)); // one account, detected once per sidecar
        Assert.True(restoredCredits >= knownLost, $"charged again {restoredCredits} < {knownLost} known lost");
        Assert.Equal(2, logged);
        Assert.All(exits, e => Assert.False(double.IsNaN(e), "a sidecar did not exit after SIGTERM"));
        Assert.True(Fleet.Conserved(balance), "conservation broken: " + Fleet.Describe(balance));
        Assert.Equal(0, balance.Leased);
        Assert.Equal(granted, balance.Consumed);
    }

    private static async Task<double> SumAsync(IEnumerable<SidecarProcess> sidecars, string metric) =>
        (await Task.WhenAll(sidecars.Select(s => Scrape.ReadAsync(s.HttpPort)))).Sum(s => s.Sum(metric));
}
