using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;

namespace QuotaSidecar.Cli.Arguments;

/// <summary>
/// ISO 8601 instants for grant start and expiry: <c>2025-07-01</c>, <c>2025-07-01T09:30:00Z</c>,
/// <c>2025-07-01T09:30:00+02:00</c>. Without an offset the time is UTC, the zone grant periods are anchored in,
/// never the operator's local zone: the same command must mean the same instant on every machine.
/// </summary>
internal static class TimestampSyntax
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    public static bool TryParse(string? text, out DateTimeOffset value, [NotNullWhen(false)] out string? error)
    {
        const DateTimeStyles styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, styles, out value))
        {
            error = null;
            return true;
        }

        error = $"must be an ISO 8601 date or time such as 2025-07-01 or 2025-07-01T09:30:00Z (got '{text}')";
        return false;
    }

    /// <summary>An option holding an instant; null when not given.</summary>
    public static Option<Timestamp?> Option(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "ISO8601",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
            if (TryParse(text, out var value, out var error))
            {
                return Timestamp.FromDateTimeOffset(value);
            }

            result.AddError($"{name} {error}");
            return null;
        },
    };
}
