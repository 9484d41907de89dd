using Microsoft.Extensions.Configuration;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using QuotaSidecar.Configuration;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Configuration;

/// <summary>README.md's configuration table stays true: every variable it names is a setting, with the default it states.</summary>
public sealed partial class ReadmeConfigurationTableTests
{
    [Fact]
    public void Every_variable_in_the_readme_table_is_a_setting_with_the_stated_default()
    {
        var rows = TableRows();
        Assert.True(rows.Count >= 15, $"found only {rows.Count} rows of the configuration table in README.md");

        var defaults = new QuotaOptions();
        var checkedDefaults = 0;
        foreach (var (variables, stated) in rows)
        {
            for (var i = 0; i < variables.Count; i++)
            {
                var (type, value) = Resolve(defaults, variables[i]);
                if (stated.Count == variables.Count && type is not null)
                {
                    AssertDefault(variables[i], type, value, stated[i]);
                    checkedDefaults++;
                }
            }
        }

        Assert.True(checkedDefaults >= 15, $"only {checkedDefaults} defaults were comparable");
    }

    // Each row: the variables of its first cell (a shorthand `Max` or `...__Credits` continues the first one's
    // section) and the backquoted defaults of its second cell.
    private static List<(List<string> Variables, List<string> Defaults)> TableRows()
    {
        var rows = new List<(List<string>, List<string>)>();
        foreach (var line in File.ReadLines(Path.Combine(Repository.Root, "README.md")))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 4 || !cells[1].StartsWith("`Quota__", StringComparison.Ordinal))
            {
                continue;
            }

            var variables = new List<string>();
            foreach (var name in Quoted(cells[1]))
            {
                variables.Add(name.StartsWith("Quota__", StringComparison.Ordinal) ? name
                    : variables[0][..variables[0].LastIndexOf("__", StringComparison.Ordinal)] + "__" + name.Replace("...__", "", StringComparison.Ordinal));
            }

            var stated = cells[2].Split(" / ");
            rows.Add((variables,
                cells[2] is "unset" or "none" ? [.. variables.Select(_ => cells[2])] // one word for the whole row
                : stated.All(d => d.StartsWith('`')) ? [.. stated.Select(d => d.Trim('`'))]
                : [])); // prose such as "machine name" or "2 s" is not compared

        }

        return rows;
    }

    private static IEnumerable<string> Quoted(string cell) => QuotedPattern().Matches(cell).Select(m => m.Groups[1].Value);

    /// <summary>Walks the variable's path through the options' public properties (list indices through the element
    /// type); the type is null where a list element has no instance to read a default from.</summary>
    private static (Type? Type, object? Value) Resolve(QuotaOptions options, string variable)
    {
        Type type = typeof(QuotaOptions);
        object? value = options;
        var segments = variable.Split("__")[1..];
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (int.TryParse(segment, CultureInfo.InvariantCulture, out _))
            {
                type = type.GetGenericArguments().Single();
                value = null;
                continue;
            }

            // A key may be both a value and a section (Quota:Store names the store, Quota:Store:MaxWait is a wait):
            // the section's children bind into the property that carries [ConfigurationKeyName] with that key.
            var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => (p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? p.Name) == segment)
                .ToList();
            var property = i < segments.Length - 1
                ? properties.FirstOrDefault(p => !IsSimple(p.PropertyType)) ?? properties.FirstOrDefault()
                : properties.FirstOrDefault(p => IsSimple(p.PropertyType)) ?? properties.FirstOrDefault();
            Assert.True(property is { CanRead: true }, $"README.md names {variable}, but {type.Name} has no public property {segment}");
            Assert.True(property!.CanWrite || !IsSimple(property.PropertyType), $"README.md names {variable}, but {type.Name}.{segment} cannot be set");
            type = property.PropertyType;
            value = value is null ? null : property.GetValue(value);
        }

        return value is null && IsSimple(type) && variable.Contains("__0__", StringComparison.Ordinal) ? (null, null) : (type, value);
    }

    private static void AssertDefault(string variable, Type type, object? actual, string stated)
    {
        if (stated is "unset" or "none")
        {
            Assert.True(actual is null, $"README.md says {variable} is unset by default, but it is {actual}");
            return;
        }

        var target = Nullable.GetUnderlyingType(type) ?? type;
        var expected = TypeDescriptor.GetConverter(target).ConvertFromInvariantString(stated);
        Assert.True(Equals(expected, actual), $"README.md says {variable} defaults to {stated}, but it is {actual}");
    }

    private static bool IsSimple(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || Nullable.GetUnderlyingType(type) is not null;

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex QuotedPattern();
}
