using System.Text.RegularExpressions;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>The metric names a PromQL expression (a Grafana query or an alert) reads. Not a parser: label matchers,
/// ranges, grouping clauses and strings are cut out first, then what is left that is not a function call, a keyword
/// or a Grafana variable is a metric name.</summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "inf", "nan",
    };

    public static IReadOnlySet<string> MetricNames(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var text = Strings().Replace(expression, "\"\"");
        text = Matchers().Replace(text, "");
        text = Ranges().Replace(text, "");
        text = Grouping().Replace(text, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Identifier().Matches(text))
        {
            if (!m.Groups["call"].Success && !Keywords.Contains(m.Groups["name"].Value.ToLowerInvariant()))
            {
                names.Add(m.Groups["name"].Value);
            }
        }

        return names;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    // Not after a word character, '$' (Grafana variable) or '.' (a number): 10m, 0.99, $pod are not names.
    [GeneratedRegex(@"(?<![\w$.])(?<name>[a-zA-Z_:][\w:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();
}
