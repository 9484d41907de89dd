using System.Globalization;
using QuotaSidecar.Api.V1;
using QuotaSidecar.FaultTests.Harness;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests;

/// <summary>SIGTERM of every sidecar under load, with open and committed holds: holds settle, leases go back, each
/// sidecar exits within its grace period.</summary>
public sealed class ShutdownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Sigterm_under_load_settles_holds_returns_leases_and_exits_within_the_grace_period()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var fleet = new Fleet(redis.Endpoint, new Dictionary<string, string> { ["Quota__Shutdown__GracePeriod"] = "00:00:05" });
        var nodes = new[] { await fleet.StartAsync("a"), await fleet.StartAsync("b"), await fleet.StartAsync("c") };
        const string account = "shutdown";
        await Fleet.CreateAccountAsync(nodes[0].Admin, account, 1_000_000_000);
        var loads = nodes.Select(n => ConsumeLoad.Start(n.Quota, account, workers: 2)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(2));

        // On every sidecar: 10 holds of 50; 5 committed with 30, 5 left open at SIGTERM.
        long committed = 0;
        foreach (var node in nodes)
        {
            for (var i = 0; i < 10; i++)
            {
                var id = $"{node.Sidecar.Pid}-{i}";
                var hold = await node.Quota.ReserveAsync(
                    new ReserveRequest { AccountId = account, Amount = 50, ReservationId = id, Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(5)) },
                    deadline: DateTime.UtcNow.AddSeconds(10));
                Assert.Equal(Decision.Granted, hold.Decision);
                if (i % 2 == 0)
                {
                    committed += (await node.Quota.CommitAsync(new CommitRequest { ReservationId = id, Amount = 30 }, deadline: DateTime.UtcNow.AddSeconds(10))).Committed;
                }
            }
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        var rss = nodes.Select(n => Fleet.RssMb(n.Sidecar.Pid)).ToArray();
        var exits = await SidecarProcess.TerminateAllAsync(nodes.Select(n => n.Sidecar), TimeSpan.FromSeconds(15));
        var samples = (await Task.WhenAll(loads.Select(l => l.StopAsync()))).SelectMany(s => s).ToList();
        var auditor = await fleet.StartAsync("auditor");
        var balance = await Fleet.BalanceAsync(auditor.Admin, account);
        var granted = samples.GrantedCredits(1);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"3 sidecars, grace 5 s, SIGTERM under load; exits after {string.Join(", ", exits.Select(e => e.ToString("F2", CultureInfo.InvariantCulture)))} s, exit codes {string.Join(", ", nodes.Select(n => n.Sidecar.ExitCode))}; RSS before {string.Join(", ", rss.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))} MB"));
        output.WriteLine($"consumed by clients {granted} + committed holds {committed} (15 holds open at SIGTERM); calls not granted {samples.Count(s => !s.Granted)}");
        output.WriteLine($"central after exit: {Fleet.Describe(balance)}");

        Assert.All(exits, e => Assert.True(e <= 5.5, $"a sidecar took {e} s to exit (grace period 5 s)"));
        Assert.All(nodes, n => Assert.Equal(0, n.Sidecar.ExitCode));
        Assert.Equal(0, balance.Leased);
        Assert.True(Fleet.Conserved(balance), "conservation broken: " + Fleet.Describe(balance));
        Assert.Equal(granted + committed, balance.Consumed);
    }
}
