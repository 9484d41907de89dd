using QuotaSidecar.LoadTest.Load;
using QuotaSidecar.LoadTest.Network;
using QuotaSidecar.LoadTest.Plan;
using QuotaSidecar.LoadTest.Report;
using QuotaSidecar.LoadTest.Servers;

namespace QuotaSidecar.LoadTest;

/// <summary>
/// Carries out a <see cref="RunPlan"/>: starts redis-server, then per group the servers it needs (side by side,
/// so comparable runs follow each other within seconds), runs each spec (warm-up, then the measured run between
/// two reads of the server's own counters) and stops everything it started.
/// </summary>
internal sealed class Runner(RunPlan plan, ToolPaths paths, ProgressLine progress)
{
    public List<RunResult> Results { get; } = [];

    /// <summary>What was not measured and why, and facts about the run (Redis RTTs, metric names).</summary>
    public List<string> Notes { get; } = [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        RedisServer? redis = null;
        try
        {
            if (RedisServer.Find() is not null)
            {
                progress.Track("starting redis-server", null, TimeSpan.Zero);
                redis = await RedisServer.StartAsync(Path.Combine(paths.RunDirectory, "redis-data"), ["--appendonly", "no"], cancellationToken);
                Notes.Add($"redis-server {redis.Endpoint} (pid {redis.Pid}), PING RTT p50 {await RedisPing.MedianMicrosecondsAsync(redis.Port, 200, cancellationToken):0} µs direct");
            }
            else
            {
                Notes.Add("SKIPPED: every Redis case (sidecar-redis, naive, the delay proxy): redis-server is not on PATH (apt-get install redis-server)");
            }

            if (paths.SidecarDll is null)
            {
                Notes.Add($"SKIPPED: every sidecar case: {paths.SidecarMissing}");
            }

            var total = plan.Groups.Sum(g => g.Runs.Count);
            var index = 0;
            foreach (var group in plan.Groups)
            {
                index = await RunGroupAsync(group, redis, index, total, cancellationToken);
            }
        }
        finally
        {
            redis?.Dispose();
            if (!PreciseSleep.RealTimeEverywhere)
            {
                Notes.Add("the delay proxy and the open-loop dispatcher could not get real-time priority (not root?): their timing slips when the machine is loaded");
            }
        }
    }

    private async Task<int> RunGroupAsync(RunGroup group, RedisServer? redis, int index, int total, CancellationToken cancellationToken)
    {
        DelayProxy? proxy = null;
        var servers = new Dictionary<ServerKind, IServerUnderTest>();
        try
        {
            if (group.RedisDelayMs > 0 && redis is not null)
            {
                proxy = DelayProxy.Start(redis.Port, TimeSpan.FromMilliseconds(group.RedisDelayMs));
                Notes.Add($"delay proxy {proxy.Endpoint}: {group.RedisDelayMs} ms per chunk each way, PING RTT p50 {await RedisPing.MedianMicrosecondsAsync(proxy.Port, 100, cancellationToken):0} µs through it");
            }

            var redisEndpoint = proxy?.Endpoint ?? redis?.Endpoint;
            foreach (var kind in group.Runs.Select(r => r.Server).Distinct())
            {
                if (await StartAsync(kind, group.RedisDelayMs, redisEndpoint, cancellationToken) is { } server)
                {
                    servers[kind] = server;
                }
            }

            foreach (var server in servers.Values.OfType<SidecarServer>().Where(s => s.TreeMissing is not null))
            {
                Notes.Add($"SKIPPED: the depth-3 runs on {server.Name}: {server.TreeMissing}");
            }

            var runs = group.Runs
                .Where(r => servers.TryGetValue(r.Server, out var s)
                    && (r.Workload != WorkloadKind.ReserveCommitDepth3 || s.TreeAccount is not null)
                    && (r.Workload != WorkloadKind.ReserveCommitTwin || s.TwinAccount is not null))
                .Select(r => new RunState(r)).ToList();
            index += group.Runs.Count - runs.Count;
            if (plan.WarmupRound)
            {
                foreach (var run in runs)
                {
                    var warmup = new RunRecorder();
                    progress.Track($"warm-up round: {run.Spec.Describe(group.RedisDelayMs)}", warmup, plan.Warmup);
                    await LoopAsync(run.Spec, WorkloadFor(run.Spec, servers[run.Spec.Server]), plan.Warmup, warmup, cancellationToken);
                }
            }

            for (var round = 0; round < plan.Rounds; round++)
            {
                var backwards = plan.Alternate && round % 2 == 1;
                for (var k = 0; k < runs.Count; k++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var i = backwards ? runs.Count - 1 - k : k;
                    var run = runs[i];
                    if (run.Failed)
                    {
                        continue;
                    }

                    var label = $"[{index + i + 1}/{total}] {run.Spec.Describe(group.RedisDelayMs)}" + (plan.Rounds > 1 ? $" ({round + 1}/{plan.Rounds})" : "");
                    try
                    {
                        await MeasureSliceAsync(run, servers[run.Spec.Server], round, label, cancellationToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        run.Failed = true;
                        Notes.Add($"FAILED: {run.Spec.Describe(group.RedisDelayMs)}: {e.GetType().Name}: {e.Message}");
                        progress.Note($"{label} failed: {e.Message}");
                    }
                }
            }

            index += runs.Count;
            foreach (var run in runs.Where(r => !r.Failed))
            {
                Results.Add(run.Result(group.RedisDelayMs));
            }

            foreach (var (kind, server) in servers)
            {
                if (server is SidecarServer sidecar)
                {
                    Notes.Add($"{kind.Name()} metrics read: handler histogram '{sidecar.HandlerMetricName ?? "(none found)"}', Redis counter '{sidecar.RedisMetricName ?? "(none found)"}'");
                }
            }
        }
        finally
        {
            foreach (var server in servers.Values)
            {
                await server.DisposeAsync();
            }

            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }
        }

        return index;
    }

    private async Task<IServerUnderTest?> StartAsync(ServerKind kind, double delayMs, string? redisEndpoint, CancellationToken cancellationToken)
    {
        if (kind.NeedsRedis() && redisEndpoint is null)
        {
            return null;
        }

        if (kind.IsSidecar() && paths.SidecarDll is null)
        {
            return null;
        }

        var name = kind.Name() + (delayMs > 0 ? "-delayed" : "");
        progress.Track($"starting {name}", null, TimeSpan.Zero);
        try
        {
            return kind switch
            {
                ServerKind.Floor => await BaselineServer.StartAsync(name, paths.BaselinesDll, null, paths.RunDirectory, cancellationToken),
                ServerKind.Naive => await BaselineServer.StartAsync(name, paths.BaselinesDll, redisEndpoint, paths.RunDirectory, cancellationToken),
                ServerKind.SidecarEmbedded => await SidecarServer.StartAsync(name, paths.SidecarDll!, null, paths.RunDirectory, cancellationToken),
                _ => await SidecarServer.StartAsync(name, paths.SidecarDll!, redisEndpoint, paths.RunDirectory, cancellationToken),
            };
        }
        catch (Exception e) when (e is not OperationCanceledException && e.Message.Contains("is not available in this build", StringComparison.Ordinal))
        {
            // The host says it was built without this store (the Redis ledger not merged yet): not a crash.
            Notes.Add($"SKIPPED: {name}: the sidecar says its store is not available in this build");
            progress.Note($"skipped {name}: store not available in this build");
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Notes.Add($"FAILED to start {name}: {e.Message}");
            progress.Note($"could not start {name}: {e.Message}");
            return null;
        }
    }

    /// <summary>One slice of a run: a warm-up (the full one before the first slice, unless the plan had a warm-up
    /// round), then the measured part between
    /// two reads of the server's counters, added to the run's totals.</summary>
    private async Task MeasureSliceAsync(RunState run, IServerUnderTest server, int round, string label, CancellationToken cancellationToken)
    {
        var spec = run.Spec;
        var workload = WorkloadFor(spec, server);
        var warmupTime = round == 0 && !plan.WarmupRound ? plan.Warmup : plan.Rewarm;
        var warmup = new RunRecorder();
        progress.Track(label + " (warm-up)", warmup, warmupTime);
        await LoopAsync(spec, workload, warmupTime, warmup, cancellationToken);

        var slice = new RunRecorder();
        await server.BeginAsync(cancellationToken);
        progress.Track(label, slice, plan.Slice);
        await LoopAsync(spec, workload, plan.Slice, slice, cancellationToken);
        run.Add(slice, await server.EndAsync(cancellationToken), server.RssMiB());
        if (slice.Errors > 0)
        {
            progress.Note($"{label}: {slice.Errors} errors, first: {slice.FirstError}");
        }
    }

    private static Workload WorkloadFor(RunSpec spec, IServerUnderTest server)
    {
        var channel = server.Channel(spec.Transport);
        return spec.Workload switch
        {
            WorkloadKind.Ping => Workload.Ping(channel),
            WorkloadKind.ReserveCommit => Workload.ReserveCommit(channel, server.Account!),
            WorkloadKind.ReserveCommitDepth3 => Workload.ReserveCommit(channel, server.TreeAccount!),
            WorkloadKind.ReserveCommitTwin => Workload.ReserveCommit(channel, server.TwinAccount!),
            _ => Workload.Consume(channel, server.Account!),
        };
    }

    private Task<RunRecorder> LoopAsync(RunSpec spec, Workload workload, TimeSpan duration, RunRecorder recorder, CancellationToken cancellationToken) =>
        spec.Rate is { } rate
            ? LoadLoops.OpenAsync(workload, rate, duration, plan.MaxOperations / plan.Rounds, maxInFlight: 4096, recorder, cancellationToken)
            : LoadLoops.ClosedAsync(workload, spec.Concurrency, duration, plan.MaxOperations / plan.Rounds, recorder, cancellationToken);
}
