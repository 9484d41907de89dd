namespace QuotaSidecar.LoadTest.Soak;

/// <summary>One sampling window of a soak (10 s unless the run's end cuts it short).</summary>
/// <param name="EndSeconds">Time since the load started at the end of the window, s.</param>
/// <param name="Requests">RPCs answered in the window (a Reserve+Commit is two).</param>
/// <param name="P50Us">Client-side latency percentiles of the window's requests, µs.</param>
/// <param name="RssMiB">Resident memory of the sidecar process at the end of the window (VmRSS).</param>
/// <param name="GcHeapMiB">The sidecar's GC heap after its last GC (null: no reading).</param>
/// <param name="GcCommittedMiB">Memory the sidecar's GC has committed (null: no reading).</param>
/// <param name="Gen2Collections">Gen 2 GCs in the window.</param>
/// <param name="GcPausePercent">Share of the window the sidecar spent paused for GCs, %.</param>
/// <param name="CpuSeconds">User + system CPU the sidecar used in the window, s (100% = one core).</param>
/// <param name="RedisUsedMiB">The soak redis-server's used_memory (null: embedded store).</param>
/// <param name="LoadAverage">The machine's 1-minute load average at the end of the window.</param>
internal sealed record SoakSample(
    double EndSeconds,
    double WindowSeconds,
    long Requests,
    double RequestsPerSecond,
    double P50Us,
    double P99Us,
    double MaxUs,
    long Errors,
    long Denied,
    double? RssMiB,
    double? GcHeapMiB,
    double? GcCommittedMiB,
    int? Gen2Collections,
    double? GcPausePercent,
    double? CpuSeconds,
    double? RedisUsedMiB,
    string LoadAverage)
{
    public double? CpuPercent => CpuSeconds is { } cpu ? cpu * 100 / Math.Max(1e-9, WindowSeconds) : null;
}
