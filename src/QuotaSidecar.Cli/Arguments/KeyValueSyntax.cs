using System.CommandLine;
using System.Diagnostics.CodeAnalysis;

namespace QuotaSidecar.Cli.Arguments;

/// <summary>
/// <c>key=value</c> pairs for labels and grant metadata. Split at the first '=', so values may contain '='
/// (<c>query=a=b</c>); a value may be empty (<c>note=</c>), a key may not.
/// </summary>
internal static class KeyValueSyntax
{
    /// <summary>Parses every pair; a repeated key is an error rather than a silent overwrite.</summary>
    public static bool TryParse(
        IEnumerable<string> pairs,
        out Dictionary<string, string> values,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                error = $"must be key=value (got '{pair}')";
                return false;
            }

            var key = pair[..separator];
            if (!values.TryAdd(key, pair[(separator + 1)..]))
            {
                error = $"has key '{key}' more than once";
                return false;
            }
        }

        error = null;
        return true;
    }

    /// <summary>
    /// An option taking pairs both as <c>--label a=1 --label b=2</c> and as <c>--label a=1 b=2</c>;
    /// null when not given (no default factory: help would print the dictionary's type name as the default).
    /// </summary>
    public static Option<Dictionary<string, string>> Option(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "key=value",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = true,
        CustomParser = result =>
        {
            if (TryParse(result.Tokens.Select(token => token.Value), out var values, out var error))
            {
                return values;
            }

            result.AddError($"{name} {error}");
            return [];
        },
    };
}
