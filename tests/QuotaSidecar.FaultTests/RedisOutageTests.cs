using System.Globalization;
using QuotaSidecar.FaultTests.Harness;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests;

/// <summary>
/// Redis killed and restarted (AOF on), and Redis paused 5 s, under load on three sidecars with large
/// leases: the hot path keeps answering from leases, and after recovery every granted credit is recorded once.
/// </summary>
public sealed class RedisOutageTests(ITestOutputHelper output)
{
    [Fact]
    public Task Redis_killed_and_restarted_with_aof_loses_no_report_and_the_hot_path_does_not_notice() =>
        RunAsync("redis kill -9 + restart (AOF everysec)", async redis =>
        {
            await redis.KillAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            await redis.RestartAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));
        });

    [Fact]
    public Task Redis_paused_5s_loses_no_report_and_the_hot_path_does_not_notice() =>
        RunAsync("redis SIGSTOP 5 s", async redis =>
        {
            redis.Pause();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
            }
            finally
            {
                redis.Resume();
            }
        });

    private async Task RunAsync(string fault, Func<RedisServer, Task> inject)
    {
        await using var redis = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "everysec");
        await using var fleet = new Fleet(redis.Endpoint, new Dictionary<string, string> { ["Quota__Leases__Min"] = "100000" });
        var nodes = new[] { await fleet.StartAsync("a"), await fleet.StartAsync("b"), await fleet.StartAsync("c") };
        const string account = "outage";
        await Fleet.CreateAccountAsync(nodes[0].Admin, account, 1_000_000_000);

        var loads = nodes.Select(n => ConsumeLoad.Start(n.Quota, account, workers: 2)).ToArray();
        var sidecars = nodes.Select(n => n.Sidecar).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // leases taken, JIT warm
        var before = await Window.RunAsync("before", sidecars, () => Task.Delay(TimeSpan.FromSeconds(4)));
        var storeDown = 0.0;
        var during = await Window.RunAsync("during", sidecars, async () =>
        {
            var injecting = inject(redis);
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            storeDown = (await Task.WhenAll(sidecars.Select(s => Scrape.ReadAsync(s.HttpPort)))).Count(s => s.Sum("quota_store_available") == 0);
            await injecting;
        });
        var after = await Window.RunAsync("after", sidecars, () => Task.Delay(TimeSpan.FromSeconds(3)));
        var samples = (await Task.WhenAll(loads.Select(l => l.StopAsync()))).SelectMany(s => s).ToList();

        var exits = await SidecarProcess.TerminateAllAsync(sidecars, TimeSpan.FromSeconds(20));
        var auditor = await fleet.StartAsync("auditor");
        var balance = await Fleet.BalanceAsync(auditor.Admin, account);
        var granted = samples.GrantedCredits(1);
        // The fault's windows: before them, a freshly started sidecar's first refill may outlast the wait budget on a
        // busy machine and be DENIED STORE_UNAVAILABLE (a cold start, not the outage); those are printed, not counted.
        var failed = samples.Between(before.From, after.To).Count(s => !s.Granted);

        var clientRatio = samples.Between(during.From, during.To).Percentile(99) / samples.Between(before.From, before.To).Percentile(99);
        var serverRatio = during.HotPathQuantile(0.99) / before.HotPathQuantile(0.99);
        output.WriteLine($"fault: {fault}; 3 sidecars x 2 closed-loop callers, Leases.Min=100000");
        foreach (var w in new[] { before, during, after })
        {
            output.WriteLine(w.Describe(samples));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"p99 during/before: client {clientRatio:F2}x, server {serverRatio:F2}x; sidecars reporting store_available=0 mid-fault: {storeDown}/3"));
        output.WriteLine($"settle failures during the fault: {during.Delta("quota_settle_failures_total")}; calls not granted: {failed}; at start-up: {samples.Where(s => s.StartedAt < before.From).DescribeNotGranted(samples.Min(s => s.StartedAt))}");
        output.WriteLine($"granted to clients {granted}; central: {Fleet.Describe(balance)}; SIGTERM exits (s): {string.Join(", ", exits.Select(e => e.ToString("F2", CultureInfo.InvariantCulture)))}");

        Assert.All(exits, e => Assert.False(double.IsNaN(e), "a sidecar did not exit after SIGTERM"));
        Assert.Equal(0, failed);
        Assert.True(Fleet.Conserved(balance), "conservation broken: " + Fleet.Describe(balance));
        Assert.Equal(0, balance.Leased);
        Assert.Equal(granted, balance.Consumed);
        // Leased accounts never wait on Redis: a call that did would take the outage or the 2 s Redis timeout. (500 ms of
        // headroom for a loaded CI machine, where the test's own client queues; the server-side check is the tight one.)
        Assert.True(samples.Between(during.From, during.To).Percentile(99) < 500_000, "client p99 during the fault >= 500 ms");
        Assert.True(during.HotPathQuantile(0.99) <= Math.Max(4 * before.HotPathQuantile(0.99), 1000), $"server hot-path p99 during the fault {during.HotPathQuantile(0.99)} µs vs {before.HotPathQuantile(0.99)} µs before");
    }
}
