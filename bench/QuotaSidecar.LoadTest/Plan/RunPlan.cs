using QuotaSidecar.LoadTest.Network;

namespace QuotaSidecar.LoadTest.Plan;

/// <summary>
/// What each mode measures and for how long. Every run is bounded in time and in operations. A run's
/// <see cref="Duration"/> is measured in <see cref="Rounds"/> slices, interleaved with the other runs of its group
/// (A B C, A B C, ...), so a change in the shared machine's load spreads over all of them instead of skewing one.
/// </summary>
internal sealed record RunPlan(string Mode, TimeSpan Warmup, TimeSpan Duration, int Rounds, long MaxOperations, TimeSpan Deadline, IReadOnlyList<RunGroup> Groups)
{
    /// <summary>Every other round runs its group backwards (A B C, C B A, ...), so no run always follows the same
    /// neighbour: for paired comparisons where each run is next to its twin (A A', A' A, ...).</summary>
    public bool Alternate { get; init; }

    /// <summary>Before the measured rounds, one unmeasured round of every run of the group (each for
    /// <see cref="Warmup"/>), so a fresh server's JIT tiering and first allocations land on no run's first slice
    /// (otherwise they land on whichever run goes first, always the same one).</summary>
    public bool WarmupRound { get; init; }

    /// <summary>Measured time of one slice.</summary>
    public TimeSpan Slice => Duration / Rounds;

    /// <summary>Warm-up before each slice after a run's first (the first gets <see cref="Warmup"/>).</summary>
    public TimeSpan Rewarm => Warmup / 4;

    /// <summary>Delay the proxy adds to each chunk, each direction, in the delayed group (--redis-delay-ms).</summary>
    public static double DelayMs { get; set; } = 1.0;

    /// <summary>This plan with only the runs whose description contains one of <paramref name="filters"/>.</summary>
    public RunPlan Only(IReadOnlyList<string> filters) => this with
    {
        Mode = Mode + "-partial",
        Groups = [.. Groups.Select(g => g with
        {
            Runs = [.. g.Runs.Where(r => filters.Any(f => r.Describe(g.RedisDelayMs).Contains(f, StringComparison.OrdinalIgnoreCase)))],
        }).Where(g => g.Runs.Count > 0)],
    };

    /// <summary>A few seconds of load: every server, workload, transport and loop once, briefly. No thresholds.</summary>
    public static RunPlan Smoke()
    {
        List<RunSpec> direct =
        [
            new(ServerKind.Floor, WorkloadKind.Ping, Transport.Tcp, 2),
            new(ServerKind.Floor, WorkloadKind.Ping, Transport.Unix, 2),
            new(ServerKind.Floor, WorkloadKind.Ping, Transport.Unix, 0, Rate: 200),
            new(ServerKind.SidecarEmbedded, WorkloadKind.ReserveCommit, Transport.Tcp, 2),
            new(ServerKind.SidecarEmbedded, WorkloadKind.ReserveCommit, Transport.Unix, 2),
            new(ServerKind.SidecarEmbedded, WorkloadKind.Consume, Transport.Unix, 2),
            new(ServerKind.SidecarEmbedded, WorkloadKind.ReserveCommit, Transport.Unix, 0, Rate: 200),
            new(ServerKind.SidecarEmbedded, WorkloadKind.ReserveCommitDepth3, Transport.Unix, 2),
            new(ServerKind.SidecarRedis, WorkloadKind.ReserveCommit, Transport.Unix, 2),
            new(ServerKind.SidecarRedis, WorkloadKind.ReserveCommitDepth3, Transport.Tcp, 2),
            new(ServerKind.SidecarRedis, WorkloadKind.Consume, Transport.Tcp, 2),
            new(ServerKind.Naive, WorkloadKind.ReserveCommit, Transport.Unix, 2),
            new(ServerKind.Naive, WorkloadKind.Consume, Transport.Tcp, 2),
        ];
        List<RunSpec> delayed =
        [
            new(ServerKind.SidecarRedis, WorkloadKind.ReserveCommit, Transport.Unix, 2),
            new(ServerKind.Naive, WorkloadKind.ReserveCommit, Transport.Unix, 2),
        ];
        return new RunPlan("smoke", TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300), 1, 2_000, TimeSpan.FromMinutes(3),
            [new RunGroup(0, direct), new RunGroup(DelayMs, delayed)]);
    }

    /// <summary>About two minutes: every server, concurrency 1/8/64 where it matters most, the targets' cases.</summary>
    public static RunPlan Quick()
    {
        List<RunSpec> direct = [];
        foreach (var c in new[] { 1, 8, 64 })
        {
            direct.Add(new(ServerKind.Floor, WorkloadKind.Ping, Transport.Unix, c));
            direct.Add(new(ServerKind.SidecarEmbedded, WorkloadKind.ReserveCommit, Transport.Unix, c));
        }

        direct.AddRange(
        [
            new(ServerKind.Floor, WorkloadKind.Ping, Transport.Tcp, 8),
            new(ServerKind.SidecarEmbedded, WorkloadKind.ReserveCommit, Transport.Tcp, 8),
            new(ServerKind.SidecarEmbedded, WorkloadKind.Consume, Transport.Unix, 8),
            new(ServerKind.SidecarRedis, WorkloadKind.ReserveCommit, Transport.Unix, 8),
            new(ServerKind.SidecarRedis, WorkloadKind.Consume, Transport.Unix, 8),
            new(ServerKind.Naive, WorkloadKind.ReserveCommit, Transport.Unix, 8),
            new(ServerKind.Naive, WorkloadKind.Consume, Transport.Unix, 8),
            new(ServerKind.Floor, WorkloadKind.Ping, Transport.Unix, 0, Rate: 2000),
            new(ServerKind.SidecarEmbedded, WorkloadKind.ReserveCommit, Transport.Unix, 0, Rate: 2000),
            new(ServerKind.Naive, WorkloadKind.ReserveCommit, Transport.Unix, 0, Rate: 2000),
        ]);
        List<RunSpec> delayed =
        [
            new(ServerKind.SidecarRedis, WorkloadKind.ReserveCommit, Transport.Unix, 8),
            new(ServerKind.Naive, WorkloadKind.ReserveCommit, Transport.Unix, 8),
            new(ServerKind.SidecarRedis, WorkloadKind.Consume, Transport.Unix, 8),
            new(ServerKind.Naive, WorkloadKind.Consume, Transport.Unix, 8),
            new(ServerKind.SidecarRedis, WorkloadKind.ReserveCommit, Transport.Unix, 0, Rate: 500),
            new(ServerKind.Naive, WorkloadKind.ReserveCommit, Transport.Unix, 0, Rate: 500),
        ];
        return new RunPlan("quick", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), 2, 2_000_000, TimeSpan.FromMinutes(6),
            [new RunGroup(0, direct), new RunGroup(DelayMs, delayed)]);
    }

    /// <summary>
    /// Account trees (issue 17): Reserve+Commit on a flat account and on the leaf of a depth-3 path of the same
    /// sidecar, side by side, with a second flat account as the A/A control (its ratio to the first is the noise), on the embedded and the Redis sidecar, closed loops over the Unix socket (c8, c1) and
    /// TCP (c8). Each flat run is next to its depth-3 twin in every round (flat first, then depth 3 first in the
    /// next round), so the two kinds alternate and share the machine's load; the report takes the ratio of their medians over the rounds (--rounds for more).
    /// About 4 minutes with the default 3 rounds of 3 s.
    /// </summary>
    public static RunPlan Tree()
    {
        List<RunSpec> direct = [];
        foreach (var server in new[] { ServerKind.SidecarEmbedded, ServerKind.SidecarRedis })
        {
            foreach (var (transport, concurrency) in new[] { (Transport.Unix, 8), (Transport.Tcp, 8), (Transport.Unix, 1) })
            {
                direct.Add(new(server, WorkloadKind.ReserveCommit, transport, concurrency));
                direct.Add(new(server, WorkloadKind.ReserveCommitDepth3, transport, concurrency));
                direct.Add(new(server, WorkloadKind.ReserveCommitTwin, transport, concurrency));
            }
        }

        return new RunPlan("tree", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(9), 3, 20_000_000, TimeSpan.FromMinutes(20),
            [new RunGroup(0, direct)]) { Alternate = true, WarmupRound = true };
    }

    /// <summary>Everything: a, b, c at concurrency 1, 8, 64 over TCP and the Unix socket, open loops, then b and c
    /// with the Redis delay.</summary>
    public static RunPlan Full()
    {
        List<RunSpec> direct = [];
        List<RunSpec> delayed = [];
        foreach (var transport in new[] { Transport.Unix, Transport.Tcp })
        {
            foreach (var c in new[] { 1, 8, 64 })
            {
                direct.Add(new(ServerKind.Floor, WorkloadKind.Ping, transport, c));
                foreach (var server in new[] { ServerKind.SidecarEmbedded, ServerKind.SidecarRedis, ServerKind.Naive })
                {
                    foreach (var workload in new[] { WorkloadKind.ReserveCommit, WorkloadKind.Consume })
                    {
                        direct.Add(new(server, workload, transport, c));
                        if (server != ServerKind.SidecarEmbedded)
                        {
                            delayed.Add(new(server, workload, transport, c));
                        }
                    }
                }
            }
        }

        foreach (var rate in new[] { 1000.0, 5000.0 })
        {
            direct.Add(new(ServerKind.Floor, WorkloadKind.Ping, Transport.Unix, 0, rate));
            direct.Add(new(ServerKind.SidecarEmbedded, WorkloadKind.ReserveCommit, Transport.Unix, 0, rate));
            direct.Add(new(ServerKind.SidecarRedis, WorkloadKind.ReserveCommit, Transport.Unix, 0, rate));
            direct.Add(new(ServerKind.Naive, WorkloadKind.ReserveCommit, Transport.Unix, 0, rate));
        }

        delayed.Add(new(ServerKind.SidecarRedis, WorkloadKind.ReserveCommit, Transport.Unix, 0, 500));
        delayed.Add(new(ServerKind.Naive, WorkloadKind.ReserveCommit, Transport.Unix, 0, 500));
        return new RunPlan("full", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(9), 3, 20_000_000, TimeSpan.FromMinutes(40),
            [new RunGroup(0, direct), new RunGroup(DelayMs, delayed)]);
    }
}
