using System.CommandLine;
using System.Diagnostics.CodeAnalysis;

namespace QuotaSidecar.Cli.Arguments;

/// <summary>
/// Durations as operators type them: a whole number with a unit (<c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>),
/// or several in a row (<c>1m30s</c>). A bare number is rejected: "30" could mean seconds or milliseconds.
/// </summary>
internal static class DurationSyntax
{
    public const string Examples = "500ms, 30s, 2m or 1h";

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> completes "--ttl ...".</summary>
    public static bool TryParse(string? text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"must be a duration such as {Examples} (got '')";
            return false;
        }

        long totalMilliseconds = 0;
        var i = 0;
        while (i < text.Length)
        {
            var digitsStart = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            if (digitsStart == unitStart || unitStart == i
                || !long.TryParse(text.AsSpan(digitsStart, unitStart - digitsStart), out var number)
                || UnitMilliseconds(text.AsSpan(unitStart, i - unitStart)) is not { } unit)
            {
                error = $"must be a duration such as {Examples} (got '{text}')";
                return false;
            }

            // Checked: a typo like 99999999999h must be an error, not a negative deadline.
            try
            {
                totalMilliseconds = checked(totalMilliseconds + (number * unit));
            }
            catch (OverflowException)
            {
                error = $"is too long (got '{text}')";
                return false;
            }
        }

        if (totalMilliseconds == 0)
        {
            error = $"must be longer than 0 (got '{text}')";
            return false;
        }

        if (totalMilliseconds > (long)TimeSpan.MaxValue.TotalMilliseconds)
        {
            error = $"is too long (got '{text}')";
            return false;
        }

        value = TimeSpan.FromMilliseconds(totalMilliseconds);
        error = null;
        return true;
    }

    /// <summary>An option holding a duration; null when not given, so the caller applies its own default.</summary>
    public static Option<TimeSpan?> Option(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "duration",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
            if (TryParse(text, out var value, out var error))
            {
                return value;
            }

            result.AddError($"{name} {error}");
            return null;
        },
    };

    private static long? UnitMilliseconds(ReadOnlySpan<char> unit) => unit switch
    {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => null,
    };
}
