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

    /// <summary>What was recorded since the previous call: (upper bound µs, count) ascending, and Redis calls.</summary>
    public (List<(double UpperUs, long Count)> Handler, long RedisCalls) Interval()
    {
        var histogram = _handler.GetIntervalHistogram();
        var calls = Interlocked.Exchange(ref _redisCalls, 0);
        var buckets = new List<(double, long)>();
        foreach (var value in histogram.RecordedValues())
        {
            // Values are in ticks (100 ns).
            buckets.Add((histogram.HighestEquivalentValue(value.ValueIteratedTo) / 10.0, value.CountAtValueIteratedTo));
        }

        return (buckets, calls);
    }
}
