namespace QuotaSidecar.LoadTest.Report;

/// <summary>One measured run: one server, one workload, one transport, one loop, one Redis delay.</summary>
internal sealed record RunResult
{
    public required string Server { get; init; }

    public required string Workload { get; init; }

    /// <summary>tcp or unix.</summary>
    public required string Transport { get; init; }

    /// <summary>closed (fixed concurrency) or open (fixed rate).</summary>
    public required string Loop { get; init; }

    public int Concurrency { get; init; }

    /// <summary>Open loop: scheduled operations per second.</summary>
    public double? RateOpsPerSecond { get; init; }

    /// <summary>Delay the proxy added to each chunk between the server and Redis, each direction, ms (0: direct).</summary>
    public double RedisDelayMs { get; init; }

    public double DurationSeconds { get; init; }

    /// <summary>Completed requests (RPCs; a Reserve+Commit operation is two).</summary>
    public long Requests { get; init; }

    public long Errors { get; init; }

    public long Denied { get; init; }

    public string? FirstError { get; init; }

    /// <summary>Completed requests per second.</summary>
    public double ThroughputRps { get; init; }

    /// <summary>Latency percentiles from intended send time, microseconds.</summary>
    public double P50Us { get; init; }

    public double P90Us { get; init; }

    public double P99Us { get; init; }

    public double P999Us { get; init; }

    public double MaxUs { get; init; }

    /// <summary>Open loop: median and p99 from actual send time (what the server took, without schedule slip).</summary>
    public double? ServiceP50Us { get; init; }

    public double? ServiceP99Us { get; init; }

    /// <summary>Reserve+Commit runs: the Reserve requests alone (half the requests), from intended send time,
    /// microseconds.</summary>
    public double? ReserveP50Us { get; init; }

    public double? ReserveP99Us { get; init; }

    /// <summary>Server-side handler time, from the server's own histogram over the run, microseconds.</summary>
    public double? HandlerP50Us { get; init; }

    public double? HandlerP99Us { get; init; }

    /// <summary>Redis calls the server made per 1,000 requests of the run (null: no Redis).</summary>
    public double? RedisCallsPer1000 { get; init; }

    /// <summary>Redis calls per 1,000 Reserve (or Consume) requests: the docs/design.md §6 measure.</summary>
    public double? RedisCallsPer1000Reserves { get; init; }

    /// <summary>CPU time (user + system) the server process used per request, microseconds: less sensitive to the
    /// shared machine's load than latency is.</summary>
    public double? ServerCpuUsPerRequest { get; init; }

    /// <summary>Each measured slice's throughput, p50, p99, server CPU per request, Reserve p99 and handler p99, in order.</summary>
    public IReadOnlyList<SliceResult> Slices { get; init; } = [];

    /// <summary>Resident memory of the server process at the end of the run, MiB.</summary>
    public double? ServerRssMiB { get; init; }
}
