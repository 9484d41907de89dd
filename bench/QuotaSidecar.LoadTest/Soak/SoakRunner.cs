using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.LoadTest.Load;
using QuotaSidecar.LoadTest.Report;
using QuotaSidecar.LoadTest.Servers;

namespace QuotaSidecar.LoadTest.Soak;

/// <summary>
/// Runs one soak scenario: its own redis-server when the scenario needs one, one sidecar with the default
/// configuration, then a closed loop of <see cref="SoakOptions.Concurrency"/> callers for the whole duration, closed
/// and reopened every window so each window has its own latency histogram. After each window it records the
/// sidecar's RSS, GC heap, CPU, the window's rate, p50/p99 and errors.
/// </summary>
internal sealed class SoakRunner(SoakOptions options, ToolPaths paths, ProgressLine progress)
{
    public async Task<SoakResult> RunAsync(SoakScenario scenario, CancellationToken cancellationToken)
    {
        var result = new SoakResult(scenario, DateTimeOffset.UtcNow, options.Duration, options.Concurrency);
        SoakRedis? redis = null;
        SidecarServer? sidecar = null;
        try
        {
            if (paths.SidecarDll is null)
            {
                result.Failure = "not run: " + paths.SidecarMissing;
                return result;
            }

            if (scenario.Redis)
            {
                var executable = RedisServer.Find();
                if (executable is null)
                {
                    result.Failure = "not run: redis-server is not on PATH (apt-get install redis-server)";
                    return result;
                }

                progress.Track($"{scenario.Name}: starting redis-server", null, TimeSpan.Zero);
                redis = await SoakRedis.StartAsync(executable, options.RedisPorts.First, options.RedisPorts.Last, paths.RunDirectory, cancellationToken);
                result.Notes.Add($"redis-server {redis.Endpoint} started by the tool (--save '' --appendonly no)");
            }

            var probe = Path.Combine(paths.RunDirectory, scenario.Name + ".gc");
            var environment = new Dictionary<string, string>
            {
                ["DOTNET_STARTUP_HOOKS"] = typeof(StartupHook).Assembly.Location,
                ["QUOTA_SOAK_GC_PROBE"] = probe,
            };
            foreach (var (key, value) in options.SidecarEnvironment)
            {
                environment[key] = value;
                result.Notes.Add($"sidecar environment: {key}={value}");
            }

            SidecarServer.ExtraEnvironment = environment;
            progress.Track($"{scenario.Name}: starting the sidecar", null, TimeSpan.Zero);
            sidecar = await SidecarServer.StartAsync("soak-" + scenario.Name, paths.SidecarDll, redis?.Endpoint, paths.RunDirectory, cancellationToken);
            await MeasureAsync(scenario, sidecar, redis, probe, result, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result.Failure = "interrupted: results are partial";
        }
        catch (Exception e)
        {
            result.Failure = $"failed: {e.GetType().Name}: {e.Message}";
        }
        finally
        {
            if (sidecar is not null)
            {
                await sidecar.DisposeAsync();
            }

            redis?.Dispose();
            SidecarServer.ExtraEnvironment = new Dictionary<string, string>();
        }

        return result;
    }

    private async Task MeasureAsync(SoakScenario scenario, SidecarServer sidecar, SoakRedis? redis, string probe, SoakResult result, CancellationToken cancellationToken)
    {
        var channel = sidecar.Channel(options.Transport);
        var workload = CreateWorkload(scenario.Workload, channel, sidecar.Account!);
        await sidecar.BeginAsync(cancellationToken);
        var gcBefore = GcReading.Read(probe);
        if (gcBefore is null)
        {
            result.Notes.Add("no GC reading from the sidecar (its startup hook did not write): the GC columns are empty");
        }

        // A row before the load: the sidecar's memory once started and funded, what the growth is measured from
        // (no GC figures before its first GC: the runtime reports them as of the last GC).
        result.Samples.Add(new SoakSample(
            0, 0, 0, 0, 0, 0, 0, 0, 0, sidecar.RssMiB(), gcBefore is { HeapBytes: > 0 } g ? g.HeapBytes / (1024.0 * 1024.0) : null, gcBefore is { HeapBytes: > 0 } first ? first.CommittedBytes / (1024.0 * 1024.0) : null, null, null, null,
            redis is null ? null : await RedisUsedAsync(redis, cancellationToken), MachineInfo.LoadAverageNow().Split(' ')[0]));
        double cpuBefore = 0;
        var clock = Stopwatch.StartNew();
        var previousEnd = TimeSpan.Zero;
        while (clock.Elapsed < options.Duration - TimeSpan.FromSeconds(1))
        {
            var window = options.Window < options.Duration - clock.Elapsed ? options.Window : options.Duration - clock.Elapsed;
            var recorder = new RunRecorder();
            progress.Track(string.Create(CultureInfo.InvariantCulture, $"{scenario.Name} {clock.Elapsed.TotalSeconds:0}/{options.Duration.TotalSeconds:0}s"), recorder, window);
            await LoadLoops.ClosedAsync(workload, options.Concurrency, window, long.MaxValue, recorder, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();

            var rss = sidecar.RssMiB();
            if (rss is null)
            {
                result.Failure = string.Create(CultureInfo.InvariantCulture, $"the sidecar exited during the window ending at {clock.Elapsed.TotalSeconds:0} s");
                break;
            }

            var cpuTotal = (await sidecar.EndAsync(cancellationToken)).CpuSeconds;
            var gc = GcReading.Read(probe);
            var redisMiB = redis is null ? null : await RedisUsedAsync(redis, cancellationToken);
            var end = clock.Elapsed;
            var sample = new SoakSample(
                end.TotalSeconds,
                (end - previousEnd).TotalSeconds,
                recorder.Requests,
                recorder.Requests / Math.Max(1e-9, recorder.Elapsed.TotalSeconds),
                RunRecorder.Microseconds(recorder.Latency, 50),
                RunRecorder.Microseconds(recorder.Latency, 99),
                RunRecorder.Microseconds(recorder.Latency, 100),
                recorder.Errors,
                recorder.Denied,
                rss,
                gc is null ? null : gc.HeapBytes / (1024.0 * 1024.0),
                gc is null ? null : gc.CommittedBytes / (1024.0 * 1024.0),
                gc is not null && gcBefore is not null ? gc.Gen2 - gcBefore.Gen2 : null,
                gc is not null && gcBefore is not null ? (gc.PauseTicks - gcBefore.PauseTicks) * 100.0 / Math.Max(1, (end - previousEnd).Ticks) : null,
                cpuTotal is { } c ? c - cpuBefore : null,
                redisMiB,
                MachineInfo.LoadAverageNow().Split(' ')[0]);
            result.Samples.Add(sample);
            progress.Note(Describe(scenario, sample));
            if (recorder.Errors > 0)
            {
                progress.Note($"{scenario.Name}: {recorder.Errors} errors in the window, first: {recorder.FirstError}");
            }

            cpuBefore = cpuTotal ?? cpuBefore;
            gcBefore = gc ?? gcBefore;
            previousEnd = end;
        }
    }

    private static Workload CreateWorkload(SoakWorkload workload, GrpcChannel channel, string account) => workload switch
    {
        SoakWorkload.ReserveCommit => Workload.ReserveCommit(channel, account),
        _ => new ConsumeWithRequestIdWorkload(new Quota.QuotaClient(channel), account),
    };

    private static async Task<double?> RedisUsedAsync(SoakRedis redis, CancellationToken cancellationToken)
    {
        try
        {
            return await redis.UsedMemoryMiBAsync(cancellationToken);
        }
        catch (Exception e) when ((e is IOException or System.Net.Sockets.SocketException or OperationCanceledException) && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static string Describe(SoakScenario scenario, SoakSample s) =>
        string.Create(CultureInfo.InvariantCulture, $"{scenario.Name} t={s.EndSeconds,4:0}s  {s.RequestsPerSecond,7:N0} req/s  p99 {s.P99Us,7:0} µs  RSS {s.RssMiB,6:0.0} MiB  GC heap {s.GcHeapMiB,6:0.0} MiB  CPU {s.CpuPercent,4:0}%  errors {s.Errors}")
        + (s.RedisUsedMiB is { } r ? string.Create(CultureInfo.InvariantCulture, $"  redis {r:0.0} MiB") : "")
        + "  load " + s.LoadAverage;
}
