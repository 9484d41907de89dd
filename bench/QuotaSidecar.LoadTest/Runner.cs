using QuotaSidecar.LoadTest.Load;
using QuotaSidecar.LoadTest.Network;
using QuotaSidecar.LoadTest.Plan;
using QuotaSidecar.LoadTest.Processes;
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
            if (RedisServer.Find() is { } redisExecutable)
            {
                progress.Track("starting redis-server", null, TimeSpan.Zero);
                redis = await RedisServer.StartAsync(redisExecutable, paths.RunDirectory, cancellationToken);
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

            foreach (var spec in group.Runs)
            {
                index++;
                cancellationToken.ThrowIfCancellationRequested();
                if (!servers.TryGetValue(spec.Server, out var server))
                {
                    continue;
                }

                var label = $"[{index}/{total}] {spec.Describe(group.RedisDelayMs)}";
                try
                {
                    Results.Add(await MeasureAsync(spec, server, group.RedisDelayMs, label, cancellationToken));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Notes.Add($"FAILED: {spec.Describe(group.RedisDelayMs)}: {e.GetType().Name}: {e.Message}");
                    progress.Note($"{label} failed: {e.Message}");
                }
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

    private async Task<RunResult> MeasureAsync(RunSpec spec, IServerUnderTest server, double delayMs, string label, CancellationToken cancellationToken)
    {
        var channel = server.Channel(spec.Transport);
        var workload = spec.Workload switch
        {
            WorkloadKind.Ping => Workload.Ping(channel),
            WorkloadKind.ReserveCommit => Workload.ReserveCommit(channel, server.Account!),
            _ => Workload.Consume(channel, server.Account!),
        };

        var warmup = new RunRecorder();
        progress.Track(label + " (warm-up)", warmup, plan.Warmup);
        await LoopAsync(spec, workload, plan.Warmup, warmup, cancellationToken);

        var recorder = new RunRecorder();
        await server.BeginAsync(cancellationToken);
        progress.Track(label, recorder, plan.Duration);
        await LoopAsync(spec, workload, plan.Duration, recorder, cancellationToken);
        var interval = await server.EndAsync(cancellationToken);
        var rss = server.RssMiB();
        if (recorder.FirstError is { } error)
        {
            progress.Note($"{label}: {recorder.Errors} errors, first: {error}");
        }

        // Reserve (or Consume) requests: half of a Reserve+Commit run's requests.
        var reserves = spec.Workload == WorkloadKind.ReserveCommit ? (recorder.Requests + 1) / 2 : recorder.Requests;
        return new RunResult
        {
            Server = spec.Server.Name(),
            Workload = workload.Name,
            Transport = spec.Transport.ToString().ToLowerInvariant(),
            Loop = spec.Rate is null ? "closed" : "open",
            Concurrency = spec.Concurrency,
            RateOpsPerSecond = spec.Rate,
            RedisDelayMs = delayMs,
            DurationSeconds = recorder.Elapsed.TotalSeconds,
            Requests = recorder.Requests,
            Errors = recorder.Errors,
            Denied = recorder.Denied,
            FirstError = recorder.FirstError,
            ThroughputRps = recorder.Requests / Math.Max(1e-9, recorder.Elapsed.TotalSeconds),
            P50Us = RunRecorder.Microseconds(recorder.Latency, 50),
            P90Us = RunRecorder.Microseconds(recorder.Latency, 90),
            P99Us = RunRecorder.Microseconds(recorder.Latency, 99),
            P999Us = RunRecorder.Microseconds(recorder.Latency, 99.9),
            MaxUs = RunRecorder.Microseconds(recorder.Latency, 100),
            ServiceP50Us = spec.Rate is null ? null : RunRecorder.Microseconds(recorder.Service, 50),
            ServiceP99Us = spec.Rate is null ? null : RunRecorder.Microseconds(recorder.Service, 99),
            HandlerP50Us = interval.HandlerP50Us,
            HandlerP99Us = interval.HandlerP99Us,
            RedisCallsPer1000 = interval.RedisCalls is { } calls && recorder.Requests > 0 ? calls * 1000.0 / recorder.Requests : null,
            RedisCallsPer1000Reserves = interval.RedisCalls is { } c && reserves > 0 ? c * 1000.0 / reserves : null,
            ServerRssMiB = rss,
        };
    }

    private Task<RunRecorder> LoopAsync(RunSpec spec, Workload workload, TimeSpan duration, RunRecorder recorder, CancellationToken cancellationToken) =>
        spec.Rate is { } rate
            ? LoadLoops.OpenAsync(workload, rate, duration, plan.MaxOperations, maxInFlight: 4096, recorder, cancellationToken)
            : LoadLoops.ClosedAsync(workload, spec.Concurrency, duration, plan.MaxOperations, recorder, cancellationToken);
}
