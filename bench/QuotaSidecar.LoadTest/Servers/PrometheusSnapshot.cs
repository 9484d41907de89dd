using System.Globalization;

namespace QuotaSidecar.LoadTest.Servers;

/// <summary>
/// The parts of the sidecar's Prometheus text the tool reads: the hot-path handler histogram (name starting with
/// <c>quota_hot_path_duration</c>, cumulative <c>_bucket{...,le="..."}</c> lines, summed over any labels) and the
/// Redis call counter (name starting with <c>quota_redis_calls</c>, summed over labels). Suffixes such as
/// <c>_microseconds</c>, <c>_seconds</c> or <c>_total</c> are tolerated; bucket bounds are converted to microseconds.
/// </summary>
internal sealed class PrometheusSnapshot
{
    public const string HandlerPrefix = "quota_hot_path_duration";
    public const string RedisCallsPrefix = "quota_redis_calls";

    private PrometheusSnapshot(SortedDictionary<double, double> buckets, double? redisCalls, string? handlerName, string? redisName)
    {
        Buckets = buckets;
        RedisCalls = redisCalls;
        HandlerMetricName = handlerName;
        RedisMetricName = redisName;
    }

    /// <summary>Cumulative count per upper bound (microseconds; +Inf as <see cref="double.PositiveInfinity"/>).</summary>
    public SortedDictionary<double, double> Buckets { get; }

    public double? RedisCalls { get; }

    public string? HandlerMetricName { get; }

    public string? RedisMetricName { get; }

    public static PrometheusSnapshot Parse(string text)
    {
        var buckets = new SortedDictionary<double, double>();
        double? redis = null;
        string? handlerName = null, redisName = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var nameEnd = line.IndexOfAny(['{', ' ']);
            if (nameEnd <= 0)
            {
                continue;
            }

            var name = line[..nameEnd];
            if (name.StartsWith(HandlerPrefix, StringComparison.Ordinal) && name.EndsWith("_bucket", StringComparison.Ordinal))
            {
                var le = Label(line, "le");
                if (le is null || Value(line) is not { } count)
                {
                    continue;
                }

                handlerName = name[..^"_bucket".Length];
                var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture) * UnitToMicroseconds(handlerName);
                buckets[bound] = buckets.GetValueOrDefault(bound) + count;
            }
            else if (name.StartsWith(RedisCallsPrefix, StringComparison.Ordinal)
                && !name.EndsWith("_created", StringComparison.Ordinal)
                && Value(line) is { } calls)
            {
                redisName = name;
                redis = (redis ?? 0) + calls;
            }
        }

        return new PrometheusSnapshot(buckets, redis, handlerName, redisName);
    }

    /// <summary>The handler histogram recorded between two snapshots (per-bucket counts); null when the sidecar exposes none.</summary>
    public static HandlerHistogram? Between(PrometheusSnapshot before, PrometheusSnapshot after)
    {
        if (after.HandlerMetricName is null)
        {
            return null;
        }

        var histogram = new HandlerHistogram();
        double previous = 0;
        foreach (var (bound, cumulative) in after.Buckets)
        {
            var delta = cumulative - before.Buckets.GetValueOrDefault(bound);
            histogram.Add(bound, (long)Math.Round(delta - previous));
            previous = delta;
        }

        return histogram;
    }

    private static double UnitToMicroseconds(string name) =>
        name.Contains("microseconds", StringComparison.Ordinal) ? 1
        : name.Contains("milliseconds", StringComparison.Ordinal) ? 1_000
        : name.Contains("nanoseconds", StringComparison.Ordinal) ? 0.001
        : name.EndsWith("_seconds", StringComparison.Ordinal) ? 1_000_000
        : 1; // the contract: buckets in microseconds

    private static string? Label(string line, string label)
    {
        var key = label + "=\"";
        var start = line.IndexOf(key, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += key.Length;
        var end = line.IndexOf('"', start);
        return end < 0 ? null : line[start..end];
    }

    private static double? Value(string line)
    {
        // "name{labels} value [timestamp]": the value follows the closing brace (or the name).
        var close = line.LastIndexOf('}');
        var rest = (close >= 0 ? line[(close + 1)..] : line[line.IndexOf(' ')..]).Trim();
        var space = rest.IndexOf(' ');
        var number = space < 0 ? rest : rest[..space];
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
    }
}
