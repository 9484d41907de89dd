using System.Diagnostics;
using System.Globalization;

namespace QuotaSidecar.FaultTests.Harness;

/// <summary>A window of a scenario: its Stopwatch bounds and a /metrics scrape of each sidecar at both ends.</summary>
public sealed record Window(string Name, long From, long To, Scrape[] Before, Scrape[] After)
{
    public double Seconds => Stopwatch.GetElapsedTime(From, To).TotalSeconds;

    public static async Task<Window> RunAsync(string name, IReadOnlyList<SidecarProcess> sidecars, Func<Task> during)
    {
        var before = await Task.WhenAll(sidecars.Select(s => Scrape.ReadAsync(s.HttpPort)));
        var from = Stopwatch.GetTimestamp();
        await during();
        var to = Stopwatch.GetTimestamp();
        var after = await Task.WhenAll(sidecars.Select(s => Scrape.ReadAsync(s.HttpPort)));
        return new Window(name, from, to, before, after);
    }

    /// <summary>Server-side hot-path quantile (bucket upper bound, µs) over all sidecars in this window.</summary>
    public double HotPathQuantile(double q) => Scrape.Quantile(Merge(Before), Merge(After), "quota_hot_path_duration_microseconds", q);

    public double Delta(string counter) => After.Sum(s => s.Sum(counter)) - Before.Sum(s => s.Sum(counter));

    /// <summary>Mean of a histogram's observations in this window; NaN if there were none.</summary>
    public double MeanOf(string histogram)
    {
        var count = After.Sum(s => s.Sum(histogram + "_count")) - Before.Sum(s => s.Sum(histogram + "_count"));
        return count <= 0 ? double.NaN : (After.Sum(s => s.Sum(histogram + "_sum")) - Before.Sum(s => s.Sum(histogram + "_sum"))) / count;
    }

    public string Describe(IEnumerable<Sample> samples)
    {
        var mine = samples.Between(From, To).ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"{Name,-10} {Seconds,5:F1} s  calls {mine.Count,7}  granted {mine.Count(s => s.Granted),7}  client p50 {mine.Percentile(50),8:F0} µs  p99 {mine.Percentile(99),8:F0} µs  max {mine.Select(s => s.Micros).DefaultIfEmpty().Max(),8:F0} µs  server p99 ≤ {HotPathQuantile(0.99)} µs");
    }

    private static Scrape Merge(Scrape[] scrapes) => Scrape.Merge(scrapes);
}
