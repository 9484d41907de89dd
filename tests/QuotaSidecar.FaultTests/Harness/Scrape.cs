using System.Globalization;
using System.Text.RegularExpressions;

namespace QuotaSidecar.FaultTests.Harness;

/// <summary>One read of a sidecar's Prometheus text at /metrics.</summary>
public sealed partial class Scrape
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly List<(string Name, string Labels, double Value)> _series = [];

    private Scrape(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n'))
        {
            var m = Line().Match(line);
            if (m.Success && double.TryParse(m.Groups[3].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                _series.Add((m.Groups[1].Value, m.Groups[2].Value, value));
            }
        }
    }

    public string Text { get; }

    /// <summary>Several sidecars' scrapes as one (series kept side by side, so sums add them up).</summary>
    public static Scrape Merge(IEnumerable<Scrape> scrapes) => new(string.Join('\n', scrapes.Select(s => s.Text)));

    /// <summary>Names of every series, for the report.</summary>
    public IEnumerable<string> Names => _series.Select(s => s.Name).Distinct();

    public static async Task<Scrape> ReadAsync(int httpPort) =>
        new(await Http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/metrics")));

    /// <summary>Sum of every series of the metric whose labels contain <paramref name="labelFilter"/>.</summary>
    public double Sum(string name, string labelFilter = "") =>
        _series.Where(s => s.Name == name && s.Labels.Contains(labelFilter, StringComparison.Ordinal)).Sum(s => s.Value);

    public bool Has(string name) => _series.Any(s => s.Name == name);

    /// <summary>Cumulative bucket counts of a histogram (all label sets added), by upper bound.</summary>
    public SortedDictionary<double, double> Buckets(string histogram, string labelFilter = "")
    {
        var buckets = new SortedDictionary<double, double>();
        foreach (var (name, labels, value) in _series.Where(s => s.Name == histogram + "_bucket" && s.Labels.Contains(labelFilter, StringComparison.Ordinal)))
        {
            var le = Le().Match(labels).Groups[1].Value;
            var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
            buckets[bound] = buckets.GetValueOrDefault(bound) + value;
        }

        return buckets;
    }

    /// <summary>The upper bound of the bucket holding quantile <paramref name="q"/> of what was observed between two scrapes.</summary>
    public static double Quantile(Scrape before, Scrape after, string histogram, double q, string labelFilter = "")
    {
        var b = before.Buckets(histogram, labelFilter);
        var a = after.Buckets(histogram, labelFilter);
        var total = a.LastOrDefault().Value - b.LastOrDefault().Value;
        if (total <= 0)
        {
            return double.NaN;
        }

        foreach (var (bound, count) in a)
        {
            if (count - b.GetValueOrDefault(bound) >= q * total)
            {
                return bound;
            }
        }

        return double.PositiveInfinity;
    }

    /// <summary>Observations between two scrapes in each bucket (not cumulative), by upper bound; empty buckets too.</summary>
    public static IReadOnlyList<(double UpperBound, double Count)> BucketCounts(Scrape before, Scrape after, string histogram, string labelFilter = "")
    {
        var b = before.Buckets(histogram, labelFilter);
        var result = new List<(double, double)>();
        var below = 0.0;
        foreach (var (bound, cumulative) in after.Buckets(histogram, labelFilter))
        {
            var upTo = cumulative - b.GetValueOrDefault(bound);
            result.Add((bound, upTo - below));
            below = upTo;
        }

        return result;
    }

    /// <summary>The bounds of the highest bucket that got an observation between two scrapes: the slowest observation
    /// lies in (Lower, Upper]. (NaN, NaN) when there was none; Upper is +Inf when it passed the last bound.</summary>
    public static (double Lower, double Upper) HighestBucket(Scrape before, Scrape after, string histogram, string labelFilter = "")
    {
        var counts = BucketCounts(before, after, histogram, labelFilter);
        for (var i = counts.Count - 1; i >= 0; i--)
        {
            if (counts[i].Count > 0)
            {
                return (i == 0 ? 0 : counts[i - 1].UpperBound, counts[i].UpperBound);
            }
        }

        return (double.NaN, double.NaN);
    }

    /// <summary>A histogram's observations between two scrapes as one line: <c>≤bound:count</c> for every non-empty bucket.</summary>
    public static string DescribeBuckets(Scrape before, Scrape after, string histogram, string labelFilter = "")
    {
        var counts = BucketCounts(before, after, histogram, labelFilter).Where(c => c.Count > 0).ToList();
        return counts.Count == 0
            ? (after.Has(histogram + "_bucket") ? "no observations" : "no such metric")
            : string.Join("  ", counts.Select(c => string.Create(CultureInfo.InvariantCulture, $"≤{c.UpperBound}:{c.Count}")));
    }

    /// <summary>Observations between two scrapes.</summary>
    public static double Count(Scrape before, Scrape after, string histogram, string labelFilter = "") =>
        after.Buckets(histogram, labelFilter).LastOrDefault().Value - before.Buckets(histogram, labelFilter).LastOrDefault().Value;

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([^\s]+)")]
    private static partial Regex Line();

    [GeneratedRegex("le=\"([^\"]+)\"")]
    private static partial Regex Le();
}
