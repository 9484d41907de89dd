using QuotaSidecar.LoadTest.Load;
using QuotaSidecar.LoadTest.Plan;
using QuotaSidecar.LoadTest.Report;
using QuotaSidecar.LoadTest.Servers;

namespace QuotaSidecar.LoadTest;

/// <summary>A run's totals over its slices: client-side latencies, the server's handler histogram, Redis calls, CPU.</summary>
internal sealed class RunState(RunSpec spec)
{
    private readonly HandlerHistogram _handler = new();
    private bool _hasHandler;
    private long? _redisCalls;
    private double? _cpuSeconds;
    private double? _rss;

    public RunSpec Spec { get; } = spec;

    public RunRecorder Recorder { get; } = new();

    public bool Failed { get; set; }

    /// <summary>Each slice's own numbers, in order: adjacent in time to the same slice of the other runs of the
    /// group, so ratios can be taken slice by slice (a paired comparison that drift on the machine cancels out of).</summary>
    public List<SliceResult> Slices { get; } = [];

    public void Add(RunRecorder slice, ServerInterval interval, double? rssMiB)
    {
        Recorder.Add(slice);
        Slices.Add(new SliceResult(
            slice.Requests / Math.Max(1e-9, slice.Elapsed.TotalSeconds),
            RunRecorder.Microseconds(slice.Latency, 50),
            RunRecorder.Microseconds(slice.Latency, 99),
            interval.CpuSeconds is { } c && slice.Requests > 0 ? c * 1_000_000 / slice.Requests : null,
            slice.Reserve.TotalCount > 0 ? RunRecorder.Microseconds(slice.Reserve, 99) : null,
            interval.Handler?.Quantile(0.99)));
        if (interval.Handler is { } handler)
        {
            _handler.Add(handler);
            _hasHandler = true;
        }

        if (interval.RedisCalls is { } calls)
        {
            _redisCalls = (_redisCalls ?? 0) + calls;
        }

        if (interval.CpuSeconds is { } cpu)
        {
            _cpuSeconds = (_cpuSeconds ?? 0) + cpu;
        }

        _rss = rssMiB ?? _rss;
    }

    public RunResult Result(double delayMs)
    {
        var r = Recorder;
        var open = Spec.Rate is not null;
        // Reserve (or Consume) requests: half of a Reserve+Commit run's requests.
        var reserves = Spec.Workload.IsReserveCommit() ? (r.Requests + 1) / 2 : r.Requests;
        return new RunResult
        {
            Server = Spec.Server.Name(),
            Workload = Spec.Workload.Name(),
            Transport = Spec.Transport.ToString().ToLowerInvariant(),
            Loop = open ? "open" : "closed",
            Concurrency = Spec.Concurrency,
            RateOpsPerSecond = Spec.Rate,
            RedisDelayMs = delayMs,
            DurationSeconds = r.Elapsed.TotalSeconds,
            Requests = r.Requests,
            Errors = r.Errors,
            Denied = r.Denied,
            FirstError = r.FirstError,
            ThroughputRps = r.Requests / Math.Max(1e-9, r.Elapsed.TotalSeconds),
            P50Us = RunRecorder.Microseconds(r.Latency, 50),
            P90Us = RunRecorder.Microseconds(r.Latency, 90),
            P99Us = RunRecorder.Microseconds(r.Latency, 99),
            P999Us = RunRecorder.Microseconds(r.Latency, 99.9),
            MaxUs = RunRecorder.Microseconds(r.Latency, 100),
            ServiceP50Us = open ? RunRecorder.Microseconds(r.Service, 50) : null,
            ServiceP99Us = open ? RunRecorder.Microseconds(r.Service, 99) : null,
            ReserveP50Us = r.Reserve.TotalCount > 0 ? RunRecorder.Microseconds(r.Reserve, 50) : null,
            ReserveP99Us = r.Reserve.TotalCount > 0 ? RunRecorder.Microseconds(r.Reserve, 99) : null,
            HandlerP50Us = _hasHandler ? _handler.Quantile(0.50) : null,
            HandlerP99Us = _hasHandler ? _handler.Quantile(0.99) : null,
            RedisCallsPer1000 = _redisCalls is { } calls && r.Requests > 0 ? calls * 1000.0 / r.Requests : null,
            RedisCallsPer1000Reserves = _redisCalls is { } c && reserves > 0 ? c * 1000.0 / reserves : null,
            ServerCpuUsPerRequest = _cpuSeconds is { } cpu && r.Requests > 0 ? cpu * 1_000_000 / r.Requests : null,
            ServerRssMiB = _rss,
            Slices = [.. Slices],
        };
    }
}
