using System.Diagnostics;
using HdrHistogram;

namespace QuotaSidecar.LoadTest.Load;

/// <summary>
/// Latencies and counts of one run, safe to record from any thread. Latency is measured from the request's
/// intended send time (in an open loop: its slot in the schedule, so a stalled server or client cannot hide the
/// wait, i.e. no coordinated omission); service time from the moment it was actually sent.
/// </summary>
internal sealed class RunRecorder
{
    private const long Highest = TimeSpan.TicksPerMinute * 10;
    private long _requests;
    private long _errors;
    private long _denied;
    private string? _firstError;

    /// <summary>Latency from intended send time, in TimeSpan ticks (100 ns).</summary>
    public LongConcurrentHistogram Latency { get; } = new(1, Highest, 3);

    /// <summary>Latency from actual send time, in TimeSpan ticks (equals <see cref="Latency"/> in a closed loop).</summary>
    public LongConcurrentHistogram Service { get; } = new(1, Highest, 3);

    /// <summary>The Reserve requests alone (Reserve+Commit workloads; also in <see cref="Latency"/>), from intended
    /// send time, in TimeSpan ticks: the latency a caller waits before it may do the work it reserved for.</summary>
    public LongConcurrentHistogram Reserve { get; } = new(1, Highest, 3);

    public long Requests => Interlocked.Read(ref _requests);

    public long Errors => Interlocked.Read(ref _errors);

    public long Denied => Interlocked.Read(ref _denied);

    public string? FirstError => _firstError;

    /// <summary>Wall time of the measured slices, added by the loop after each.</summary>
    public TimeSpan Elapsed { get; private set; }

    public void AddElapsed(TimeSpan slice) => Elapsed += slice;

    /// <summary>Adds another recorder's latencies and counts (a slice into its run's totals).</summary>
    public void Add(RunRecorder other)
    {
        Latency.Add(other.Latency);
        Service.Add(other.Service);
        Reserve.Add(other.Reserve);
        Interlocked.Add(ref _requests, other.Requests);
        Interlocked.Add(ref _errors, other.Errors);
        Interlocked.Add(ref _denied, other.Denied);
        Interlocked.CompareExchange(ref _firstError, other.FirstError, null);
        Elapsed += other.Elapsed;
    }

    /// <summary>Records one completed request that was meant to go at <paramref name="intended"/> and went at
    /// <paramref name="sent"/> (both <see cref="Stopwatch"/> timestamps).</summary>
    public void Completed(long intended, long sent) => Record(Stopwatch.GetTimestamp(), intended, sent);

    /// <summary><see cref="Completed"/> for a Reserve: also recorded in <see cref="Reserve"/>.</summary>
    public void CompletedReserve(long intended, long sent)
    {
        var latency = Record(Stopwatch.GetTimestamp(), intended, sent);
        Reserve.RecordValue(latency);
    }

    public void Deny() => Interlocked.Increment(ref _denied);

    public void Error(Exception e)
    {
        Interlocked.Increment(ref _errors);
        Interlocked.CompareExchange(ref _firstError, e.GetType().Name + ": " + e.Message, null);
    }

    /// <summary>A percentile (0..100) of <paramref name="histogram"/> in microseconds.</summary>
    public static double Microseconds(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(percentile) / 10.0;

    private long Record(long now, long intended, long sent)
    {
        var latency = Math.Clamp(ToTicks(now - intended), 1, Highest);
        Latency.RecordValue(latency);
        Service.RecordValue(Math.Clamp(ToTicks(now - sent), 1, Highest));
        Interlocked.Increment(ref _requests);
        return latency;
    }

    private static long ToTicks(long stopwatchTicks) => (long)(stopwatchTicks * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));
}
