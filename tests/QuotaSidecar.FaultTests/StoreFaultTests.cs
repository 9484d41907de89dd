using QuotaSidecar.FaultTests.Harness;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests;

/// <summary>
/// Issue 14, "must show": a dead, paused, silent or slow Redis never stalls the hot path. Three sidecars, a large
/// account under steady closed-loop load and newcomer accounts (whose first call needs the store), a 1 s deadline on
/// every call: no call reaches its deadline, every one is GRANTED or DENIED with a reason, the slowest answer stays
/// within MaxWait + 50 ms on the sidecars' own histogram, and once the store is back central consumed = GRANTED
/// answers exactly, conserved (<see cref="StoreFaultReport.Failures"/>). Figures: docs/reliability.md.
/// </summary>
public sealed class StoreFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Redis_killed_for_10s_and_restarted_from_its_aof_denies_nothing_to_an_account_within_its_outage_horizon()
    {
        await using var redis = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "everysec");
        var report = await new StoreFaultScenario
        {
            Fault = "redis-server SIGKILL, down 10 s, restarted from its AOF (appendfsync everysec; a SIGKILL loses nothing the kernel already has)",
            Store = redis.Endpoint,
            Inject = async () =>
            {
                await redis.KillAsync();
                await Task.Delay(TimeSpan.FromSeconds(10));
                await redis.RestartAsync();
            },
        }.RunAsync(output);

        // The steady account's rate times the outage horizon fits its lease (a 10^9 account at 500 Consumes/s per
        // sidecar): once its leases are sized (from the start of the "before" window), not one of its calls may be
        // denied. Newcomers have no lease: their denials (STORE_UNAVAILABLE) are the right answer.
        var steadyDenials = report.Steady.Where(s => s.StartedAt >= report.Before.From && s.Status == global::Grpc.Core.StatusCode.OK && !s.Granted).ToList();
        report.AssertMustShow(
            StoreFaultReport.Check(steadyDenials.Count == 0, $"{steadyDenials.Count} denials of the steady account: {string.Join(", ", steadyDenials.Classes().Select(c => $"{c.Class} {c.Calls}"))}"),
            report.BreakerOpenedEverywhere());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Redis_paused_30s_longer_than_any_lease_answers_every_call_within_the_wait_budget()
    {
        await using var redis = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "everysec");
        var report = await new StoreFaultScenario
        {
            Fault = "redis-server SIGSTOP 30 s (leases live 5 s), then SIGCONT",
            Store = redis.Endpoint,
            Settings = ShortLeases,
            Inject = During(TimeSpan.FromSeconds(30), redis.Pause, redis.Resume),
        }.RunAsync(output);

        report.AssertMustShow(report.BreakerOpenedEverywhere());
    }

    [Fact]
    public async Task Redis_blackholed_10s_answers_every_call_within_the_wait_budget()
    {
        await using var redis = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "everysec");
        await using var proxy = DelayProxy.Start(redis.Port);
        var report = await new StoreFaultScenario
        {
            Fault = "Redis behind a proxy turned black hole for 10 s (new connections accepted and never answered, open ones stalled), then healed; leases live 5 s, fail-open allowance 1,000",
            Store = proxy.Endpoint,
            Settings = new Dictionary<string, string>(ShortLeases) { ["Quota__FailOpenAllowance"] = "1000" },
            Inject = During(TimeSpan.FromSeconds(10), () => proxy.Blackhole = true, () => proxy.Blackhole = false),
        }.RunAsync(output);

        output.WriteLine($"connections the black hole swallowed (reconnect attempts): {proxy.SwallowedConnections}");
        report.AssertMustShow(report.BreakerOpenedEverywhere());
    }

    [Fact]
    public async Task Redis_latency_spike_of_500ms_for_5s_answers_every_call_within_the_wait_budget()
    {
        await using var redis = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "everysec");
        await using var proxy = DelayProxy.Start(redis.Port);
        var report = await new StoreFaultScenario
        {
            Fault = "Redis 500 ms slower for 5 s (a proxy adding 250 ms per chunk each way: +500 ms per round trip)",
            Store = proxy.Endpoint,
            Inject = During(TimeSpan.FromSeconds(5), () => proxy.Delay = TimeSpan.FromMilliseconds(250), () => proxy.Delay = TimeSpan.Zero),
        }.RunAsync(output);

        report.AssertMustShow();
    }

    /// <summary>A fault switched on for <paramref name="duration"/>, then off (off too if the wait is interrupted).</summary>
    private static Func<Task> During(TimeSpan duration, Action on, Action off) => async () =>
    {
        on();
        try
        {
            await Task.Delay(duration);
        }
        finally
        {
            off();
        }
    };

    /// <summary>Leases that lapse a few seconds into the fault (5 s TTL, renewed every 1.7 s), so the fault outlasts
    /// every lease and calls must be answered without one.</summary>
    private static Dictionary<string, string> ShortLeases => new() { ["Quota__Leases__Ttl"] = "00:00:05" };
}
