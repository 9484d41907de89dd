using System.Globalization;
using Grpc.Core;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.FaultTests.Harness;

/// <summary>What the load's samples add up to: credits granted, latency percentiles, outcome classes.</summary>
public static class Samples
{
    public static long GrantedCredits(this IEnumerable<Sample> samples, long amount) => samples.Count(s => s.Granted) * amount;

    public static double Percentile(this IEnumerable<Sample> samples, double p) => Percentile(samples.Select(s => s.Micros), p);

    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var index = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }

    /// <summary>Samples started in [from, to) (Stopwatch ticks).</summary>
    public static IEnumerable<Sample> Between(this IEnumerable<Sample> samples, long from, long to) =>
        samples.Where(s => s.StartedAt >= from && s.StartedAt < to);

    /// <summary>A call's class: <c>GRANTED</c>, <c>DENIED:&lt;reason&gt;</c> (<c>DENIED:UNSPECIFIED</c> is a denial
    /// without a reason), or the gRPC status of a call that got no answer (<c>DEADLINE_EXCEEDED</c>, ...).</summary>
    public static string Class(this Sample sample) => sample switch
    {
        { Status: not StatusCode.OK } => Upper(sample.Status.ToString()),
        { Granted: true } => "GRANTED",
        _ => "DENIED:" + Upper(sample.Reason.ToString()),
    };

    /// <summary>Calls per class, largest first.</summary>
    public static IReadOnlyList<(string Class, int Calls)> Classes(this IEnumerable<Sample> samples) =>
        [.. samples.GroupBy(Class).Select(g => (g.Key, g.Count())).OrderByDescending(c => c.Item2)];

    /// <summary>One line: calls per class and client latency (p50/p99/max, ms).</summary>
    public static string Describe(this IReadOnlyCollection<Sample> samples) =>
        string.Create(CultureInfo.InvariantCulture,
            $"calls {samples.Count,7}: {string.Join(", ", samples.Classes().Select(c => $"{c.Class} {c.Calls}"))}; client p50 {samples.Percentile(50) / 1000,7:F1} ms  p99 {samples.Percentile(99) / 1000,7:F1} ms  max {samples.Select(s => s.Micros).DefaultIfEmpty(double.NaN).Max() / 1000,7:F1} ms");

    /// <summary>The calls not granted, each as its class, when it started (ms after <paramref name="origin"/>, a
    /// Stopwatch timestamp) and how long it took: what a failure message needs to say.</summary>
    public static string DescribeNotGranted(this IEnumerable<Sample> samples, long origin) =>
        string.Join(", ", samples.Where(s => !s.Granted).Take(20).Select(s => string.Create(CultureInfo.InvariantCulture,
            $"{s.Class()} at {System.Diagnostics.Stopwatch.GetElapsedTime(origin, s.StartedAt).TotalMilliseconds:F0} ms (took {s.Micros / 1000:F1} ms)")));

    // StatusCode.DeadlineExceeded -> DEADLINE_EXCEEDED, DenyReason.StoreUnavailable -> STORE_UNAVAILABLE (the wire names).
    private static string Upper(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString()));
}
