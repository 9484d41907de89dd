using System.Globalization;
using QuotaSidecar.FaultTests.Harness;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests;

/// <summary>Redis behind a proxy that adds 200 ms per chunk each way, switched on mid-load: settlement slows down, the
/// hot path does not.</summary>
public sealed class LatencySpikeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Redis_latency_spike_slows_settlement_not_the_hot_path()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var proxy = DelayProxy.Start(redis.Port);
        await using var fleet = new Fleet($"127.0.0.1:{proxy.Port}", new Dictionary<string, string> { ["Quota__Leases__Min"] = "100000" });
        var nodes = new[] { await fleet.StartAsync("a"), await fleet.StartAsync("b"), await fleet.StartAsync("c") };
        const string account = "spike";
        await Fleet.CreateAccountAsync(nodes[0].Admin, account, 1_000_000_000);
        var sidecars = nodes.Select(n => n.Sidecar).ToArray();
        var loads = nodes.Select(n => ConsumeLoad.Start(n.Quota, account, workers: 2)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var before = await Window.RunAsync("before", sidecars, () => Task.Delay(TimeSpan.FromSeconds(4)));
        proxy.Delay = TimeSpan.FromMilliseconds(200);
        var during = await Window.RunAsync("200ms", sidecars, () => Task.Delay(TimeSpan.FromSeconds(6)));
        proxy.Delay = TimeSpan.Zero;
        var after = await Window.RunAsync("after", sidecars, () => Task.Delay(TimeSpan.FromSeconds(3)));
        var samples = (await Task.WhenAll(loads.Select(l => l.StopAsync()))).SelectMany(s => s).ToList();

        var exits = await SidecarProcess.TerminateAllAsync(sidecars, TimeSpan.FromSeconds(20));
        var auditor = await fleet.StartAsync("auditor");
        var balance = await Fleet.BalanceAsync(auditor.Admin, account);
        var granted = samples.GrantedCredits(1);

        output.WriteLine("3 sidecars x 2 closed-loop callers; Redis through a proxy adding 200 ms per chunk each way in the middle window");
        foreach (var w in new[] { before, during, after })
        {
            output.WriteLine(w.Describe(samples));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"           settle batches {w.Delta("quota_settle_batches_total") / w.Seconds / 3,6:F1}/s per sidecar, failures {w.Delta("quota_settle_failures_total")}, redis calls {w.Delta("quota_redis_calls_total") / w.Seconds,7:F1}/s, refill mean {w.MeanOf("quota_lease_refill_duration_milliseconds"):F1} ms; settle pass every {1000 / (w.Delta("quota_settle_batches_total") / w.Seconds / 3):F0} ms (interval 250 ms)"));
        }

        var clientRatio = samples.Between(during.From, during.To).Percentile(99) / samples.Between(before.From, before.To).Percentile(99);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"p99 during/before: client {clientRatio:F2}x, server {during.HotPathQuantile(0.99) / before.HotPathQuantile(0.99):F2}x"));
        output.WriteLine($"granted to clients {granted}; central: {Fleet.Describe(balance)}; not granted: {samples.Between(before.From, after.To).DescribeNotGranted(before.From)}; at start-up: {samples.Where(s => s.StartedAt < before.From).DescribeNotGranted(samples.Min(s => s.StartedAt))}");
        output.WriteLine("metric names: " + string.Join(' ', during.After[0].Names.Where(n => n.Contains("settle", StringComparison.Ordinal) || n.Contains("duration", StringComparison.Ordinal) || n.Contains("redis", StringComparison.Ordinal))));

        Assert.All(exits, e => Assert.False(double.IsNaN(e), "a sidecar did not exit after SIGTERM"));
        // In the windows (before them a cold sidecar's first refill may outlast the wait budget: printed above).
        Assert.Equal(0, samples.Between(before.From, after.To).Count(s => !s.Granted));
        // Settlement slows down with the store (fewer passes per second) ...
        Assert.True(during.Delta("quota_settle_batches_total") / during.Seconds < before.Delta("quota_settle_batches_total") / before.Seconds,
            "settle passes per second did not drop while Redis was slow");
        // ... the hot path does not: it never waits on Redis while the lease covers the call.
        // A call that waited on Redis would take at least one delayed round trip (2 x 200 ms).
        Assert.True(samples.Between(during.From, during.To).Percentile(99) < 300_000, "client p99 during the spike >= 300 ms");
        Assert.True(during.HotPathQuantile(0.99) <= Math.Max(4 * before.HotPathQuantile(0.99), 1000), "server hot-path p99 rose with Redis latency");
        Assert.True(Fleet.Conserved(balance), "conservation broken: " + Fleet.Describe(balance));
        Assert.Equal(granted, balance.Consumed);
        Assert.Equal(0, balance.Leased);
    }
}
