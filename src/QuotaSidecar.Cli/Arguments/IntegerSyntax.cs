using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace QuotaSidecar.Cli.Arguments;

/// <summary>
/// Whole numbers for amounts, limits and priorities. Ranges are the sidecar's to enforce (it names the allowed
/// range in its error); here only "is it a number" is checked, with a message that does not say "System.Int64".
/// </summary>
internal static class IntegerSyntax
{
    public static bool TryParse(string? text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    public static Argument<long> Argument(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => Parse(result, name) ?? 0,
    };

    /// <summary>A 64-bit option; null when not given.</summary>
    public static Option<long?> Option(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = result => Parse(result, name),
    };

    /// <summary>A 32-bit option (priority, page size) of at least <paramref name="minimum"/>; null when not given.</summary>
    public static Option<int?> Int32Option(string name, string description, int minimum = int.MinValue) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = result =>
        {
            if (Parse(result, name) is not { } value)
            {
                return null;
            }

            if (value < minimum || value > int.MaxValue)
            {
                result.AddError($"{name} must be between {minimum} and {int.MaxValue} (got {value})");
                return null;
            }

            return (int)value;
        },
    };

    private static long? Parse(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
        if (TryParse(text, out var value))
        {
            return value;
        }

        result.AddError($"{name} must be a whole number (got '{text}')");
        return null;
    }
}
