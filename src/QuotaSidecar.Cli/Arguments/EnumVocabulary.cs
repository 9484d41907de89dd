using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Google.Protobuf.Reflection;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Cli.Arguments;

/// <summary>
/// The words quotactl uses for a contract enum: the proto value name without its enum prefix, in lower case
/// (<c>ACCOUNT_STATUS_SUSPENDED</c> is <c>suspended</c>). Built from the proto descriptor, so a value added to
/// the contract gets a name here without a code change. Input is case-insensitive and also takes the full name.
/// </summary>
/// <typeparam name="T">A generated enum of quota.proto.</typeparam>
internal sealed class EnumVocabulary<T>
    where T : struct, Enum
{
    private readonly Dictionary<string, T> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<int, string> _nameByNumber = [];

    private EnumVocabulary()
    {
        var descriptor = QuotaReflection.Descriptor.EnumTypes.Single(e => e.ClrType == typeof(T));
        var prefix = UpperSnake(descriptor.Name) + "_";
        var names = new List<string>();
        foreach (var value in descriptor.Values)
        {
            var shortName = value.Name.StartsWith(prefix, StringComparison.Ordinal) ? value.Name[prefix.Length..] : value.Name;
            var word = shortName.ToLowerInvariant();
            var clrValue = (T)Enum.ToObject(typeof(T), value.Number);
            _nameByNumber[value.Number] = word;
            _byName[value.Name] = clrValue;
            // 0 is "unspecified" in every contract enum: never a value an operator should choose.
            if (value.Number != 0)
            {
                _byName[word] = clrValue;
                names.Add(word);
            }
        }

        Names = names;
    }

    /// <summary>The one vocabulary per enum, built on first use.</summary>
    public static EnumVocabulary<T> Instance { get; } = new();

    /// <summary>The words an operator may type, in contract order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary><c>active|suspended</c>: what help shows for the option's value.</summary>
    public string HelpName => string.Join('|', Names);

    public bool TryParse(string? text, out T value, [NotNullWhen(false)] out string? error)
    {
        if (text is not null && _byName.TryGetValue(text, out value) && Convert.ToInt32(value, CultureInfo.InvariantCulture) != 0)
        {
            error = null;
            return true;
        }

        value = default;
        error = $"must be one of {string.Join(", ", Names)} (got '{text}')";
        return false;
    }

    /// <summary>The lower-case word for <paramref name="value"/>; the number for a value this build does not know.</summary>
    public string Display(T value)
    {
        var number = Convert.ToInt32(value, CultureInfo.InvariantCulture);
        return _nameByNumber.TryGetValue(number, out var word) ? word : number.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>An option taking one of <see cref="Names"/>; null when not given.</summary>
    public Option<T?> Option(string name, string description)
    {
        var option = new Option<T?>(name)
        {
            Description = description,
            HelpName = HelpName,
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
        option.CompletionSources.Add([.. Names]);
        return option;
    }

    // "AccountStatus" -> "ACCOUNT_STATUS": the prefix protobuf style puts on every value name.
    private static string UpperSnake(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i]))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(pascal[i]));
        }

        return builder.ToString();
    }
}
