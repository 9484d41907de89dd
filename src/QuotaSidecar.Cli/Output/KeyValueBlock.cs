namespace QuotaSidecar.Cli.Output;

/// <summary>
/// Labelled values, one per line, the values starting in one column. Numbers added with
/// <see cref="AddNumber"/> are right-aligned among themselves so a balance reads like a statement.
/// </summary>
internal sealed class KeyValueBlock
{
    private const string Gap = "  ";
    private readonly List<(string Key, string Value, bool IsNumber)> _lines = [];

    public KeyValueBlock Add(string key, string value)
    {
        _lines.Add((key, value, false));
        return this;
    }

    public KeyValueBlock AddNumber(string key, long value)
    {
        _lines.Add((key, ValueText.Number(value), true));
        return this;
    }

    /// <summary>Writes the block, every line starting with <paramref name="indent"/> spaces.</summary>
    public void Write(TextWriter writer, int indent = 0)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var keyWidth = 0;
        var numberWidth = 0;
        foreach (var (key, value, isNumber) in _lines)
        {
            keyWidth = Math.Max(keyWidth, key.Length);
            if (isNumber)
            {
                numberWidth = Math.Max(numberWidth, value.Length);
            }
        }

        var margin = new string(' ', indent);
        foreach (var (key, value, isNumber) in _lines)
        {
            var shown = isNumber ? value.PadLeft(numberWidth) : value;
            writer.WriteLine((margin + key.PadRight(keyWidth) + Gap + shown).TrimEnd());
        }
    }
}
