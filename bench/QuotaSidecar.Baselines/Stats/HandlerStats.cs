using System.Diagnostics;
using HdrHistogram;

namespace QuotaSidecar.Baselines.Stats;

/// <summary>
/// Handler time and Redis calls of this server, read by the load tool in intervals (one per measured run), the
/// way it reads the sidecar's Prometheus histogram.
/// </summary>
internal sealed class HandlerStats
{
    private readonly Recorder _handler = HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1)
        .WithValuesUpTo(TimeSpan.TicksPerMinute)
        .WithPrecisionOf(3)
        .WithThreadSafeWrites()
        .WithThreadSafeReads()
        .Create();

    private long _redisCalls;

    /// <summary>Records one handler's time from <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp) to now.</summary>
    public void Handled(long startTimestamp)
    {
        var elapsed = Stopwatch.GetElapsedTime(startTimestamp);
        _handler.RecordValue(Math.Max(1, elapsed.Ticks));
    }

    public void RedisCall() => Interlocked.Increment(ref _redisCalls);

    /// <summary>What was recorded since the previous call.</summary>
    public (long Count, double P50Us, double P99Us, long RedisCalls) Interval()
    {
        var histogram = _handler.GetIntervalHistogram();
        var calls = Interlocked.Exchange(ref _redisCalls, 0);
        if (histogram.TotalCount == 0)
        {
            return (0, 0, 0, calls);
        }

        // Values are in ticks (100 ns).
        return (histogram.TotalCount, histogram.GetValueAtPercentile(50) / 10.0, histogram.GetValueAtPercentile(99) / 10.0, calls);
    }
}
