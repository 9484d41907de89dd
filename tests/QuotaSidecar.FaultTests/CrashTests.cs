using System.Diagnostics;
using QuotaSidecar.FaultTests.Harness;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests;

/// <summary>kill -9 of one of three sidecars under load, then a restart: at most one settle interval of usage is
/// lost and credits are conserved.</summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private static readonly TimeSpan SettleInterval = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Kill9_of_one_sidecar_loses_at_most_one_settle_interval_and_conserves_credits()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var fleet = new Fleet(redis.Endpoint, new Dictionary<string, string>
        {
            ["Quota__Leases__Ttl"] = "00:00:03",
            ["Quota__Settle__Interval"] = "00:00:00.250",
        });
        var a = await fleet.StartAsync("a");
        var b = await fleet.StartAsync("b");
        var c = await fleet.StartAsync("c");
        const string account = "crash";
        await Fleet.CreateAccountAsync(a.Admin, account, 1_000_000_000);

        var loadA = ConsumeLoad.Start(a.Quota, account, workers: 2);
        var loadB = ConsumeLoad.Start(b.Quota, account, workers: 2);
        var loadC = ConsumeLoad.Start(c.Quota, account, workers: 2);
        var bStarted = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(3));

        var atRisk = (await Scrape.ReadAsync(b.Sidecar.HttpPort)).Sum("quota_credits_at_risk");
        var crashedAt = Stopwatch.GetTimestamp();
        b.Sidecar.Crash();
        var bSeconds = Stopwatch.GetElapsedTime(bStarted).TotalSeconds;
        Assert.True(await b.Sidecar.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the killed sidecar did not die");
        var samplesB = await loadB.StopAsync();

        var b2 = await fleet.StartAsync("b-restarted");
        var loadB2 = ConsumeLoad.Start(b2.Quota, account, workers: 2);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var samples = new[] { await loadA.StopAsync(), samplesB, await loadC.StopAsync(), await loadB2.StopAsync() };

        var exits = await SidecarProcess.TerminateAllAsync([a.Sidecar, c.Sidecar, b2.Sidecar], TimeSpan.FromSeconds(15));
        Assert.All(exits, e => Assert.False(double.IsNaN(e), "a sidecar did not exit after SIGTERM"));

        // The killed sidecar's lease is reclaimed by the next script touching the account after TTL + reclaim grace.
        var auditor = await fleet.StartAsync("auditor");
        Api.V1.Balance balance = null!;
        var reclaimed = await Wait.UntilAsync(async () =>
        {
            balance = await Fleet.BalanceAsync(auditor.Admin, account);
            return balance.Leased == 0;
        }, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(1));

        var granted = samples.Sum(s => s.GrantedCredits(1));
        var grantedB = samplesB.GrantedCredits(1);
        var unknownB = samplesB.Count(s => s.StartedAt < crashedAt && s.Status != global::Grpc.Core.StatusCode.OK);
        var rateB = grantedB / bSeconds;
        var lost = granted - balance.Consumed;
        var oneInterval = rateB * SettleInterval.TotalSeconds;
        output.WriteLine($"granted to clients: {granted} (a {samples[0].GrantedCredits(1)}, b {grantedB}, c {samples[2].GrantedCredits(1)}, b restarted {samples[3].GrantedCredits(1)})");
        output.WriteLine($"killed sidecar: {rateB:F0} credits/s for {bSeconds:F1} s; at risk just before the kill (metric): {atRisk}; calls cut by the kill: {unknownB}");
        output.WriteLine($"central after settle + reclaim: {Fleet.Describe(balance)}");
        output.WriteLine($"lost usage: {lost} credits = {lost / Math.Max(1, rateB):F3} s of the killed sidecar's traffic (one settle interval = {oneInterval:F0} credits)");
        output.WriteLine($"SIGTERM exits (s): {string.Join(", ", exits.Select(e => e.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");

        Assert.True(reclaimed, "the crashed sidecar's lease was not reclaimed: " + Fleet.Describe(balance));
        Assert.True(Fleet.Conserved(balance), "conservation broken: " + Fleet.Describe(balance));
        Assert.True(lost >= -unknownB, $"more usage recorded than granted: lost {lost}, calls cut {unknownB}");
        // One interval at the average rate; the last interval before the kill can run faster than the average (the
        // load is bursty on a shared 2-vCPU machine), hence the 50% allowance. The figure itself is printed above.
        Assert.True(lost <= (1.5 * oneInterval) + unknownB, $"lost {lost} credits, more than one settle interval of the killed sidecar's traffic ({oneInterval:F0}, +50% for burstiness)");
    }
}
