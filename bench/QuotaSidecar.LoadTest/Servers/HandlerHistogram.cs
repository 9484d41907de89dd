namespace QuotaSidecar.LoadTest.Servers;

/// <summary>
/// A server's handler-time histogram as bucket counts (upper bound in microseconds → count), merged across the
/// slices of a run. Quantiles interpolate linearly within a bucket, as Prometheus' histogram_quantile does, so
/// with coarse buckets (the sidecar's: 1, 2, 5, 10, 15, 20, 30, 50 µs...) a value is only as exact as its bucket.
/// </summary>
internal sealed class HandlerHistogram
{
    private readonly SortedDictionary<double, long> _counts = [];

    public long Count { get; private set; }

    public void Add(double upperMicroseconds, long count)
    {
        if (count <= 0)
        {
            return;
        }

        _counts[upperMicroseconds] = _counts.GetValueOrDefault(upperMicroseconds) + count;
        Count += count;
    }

    public void Add(HandlerHistogram other)
    {
        foreach (var (upper, count) in other._counts)
        {
            Add(upper, count);
        }
    }

    /// <summary>The <paramref name="q"/>-quantile (0..1) in microseconds; null when empty.</summary>
    public double? Quantile(double q)
    {
        if (Count == 0)
        {
            return null;
        }

        var rank = q * Count;
        double lower = 0;
        long below = 0;
        foreach (var (upper, count) in _counts)
        {
            if (below + count >= rank)
            {
                // Above the largest finite bucket all that is known is "more than the last bound".
                return double.IsPositiveInfinity(upper) ? lower : lower + ((upper - lower) * (rank - below) / count);
            }

            lower = upper;
            below += count;
        }

        return lower;
    }
}
