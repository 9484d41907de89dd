using System.Globalization;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;

namespace QuotaSidecar.Cli.Output;

/// <summary>How values read in text output. Times are UTC ISO 8601, the same form the options accept.</summary>
internal static class ValueText
{
    /// <summary>Shown where a value is absent, so columns never collapse.</summary>
    public const string None = "-";

    // Whole digits without separators: an operator copies them back into commands.
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Flag(bool value) => value ? "yes" : "no";

    /// <summary><c>2025-07-01T09:30:00Z</c>; fractions of a second only when there are any.</summary>
    public static string Time(Timestamp? value, string whenAbsent = None) => value is null
        ? whenAbsent
        : value.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary><c>a=1, b=2</c> in key order, so the same map always prints the same way.</summary>
    public static string Map(MapField<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Count == 0)
        {
            return None;
        }

        var pairs = new List<string>(map.Count);
        foreach (var (key, value) in map.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            pairs.Add(key + "=" + value);
        }

        return string.Join(", ", pairs);
    }

    public static string Text(string value) => value.Length == 0 ? None : value;
}
