namespace QuotaSidecar.Cli.Output;

/// <summary>
/// A plain-text table: an upper-case header row, columns two spaces apart, padded to the widest cell. No borders
/// and no trailing spaces, so the output also reads well through <c>grep</c>, <c>awk</c> and <c>column</c>.
/// </summary>
internal sealed class Table
{
    private const string Gap = "  ";
    private readonly TableColumn[] _columns;
    private readonly List<string[]> _rows = [];

    public Table(params TableColumn[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = columns;
    }

    public int RowCount => _rows.Count;

    public void AddRow(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != _columns.Length)
        {
            throw new ArgumentException($"expected {_columns.Length} cells (got {cells.Length})", nameof(cells));
        }

        _rows.Add(cells);
    }

    public void Write(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var widths = new int[_columns.Length];
        for (var c = 0; c < _columns.Length; c++)
        {
            widths[c] = _columns[c].Header.Length;
            foreach (var row in _rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        WriteRow(writer, Array.ConvertAll(_columns, column => column.Header), widths);
        foreach (var row in _rows)
        {
            WriteRow(writer, row, widths);
        }
    }

    private void WriteRow(TextWriter writer, string[] cells, int[] widths)
    {
        var line = new System.Text.StringBuilder();
        for (var c = 0; c < cells.Length; c++)
        {
            if (c > 0)
            {
                line.Append(Gap);
            }

            line.Append(_columns[c].AlignRight ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
        }

        writer.WriteLine(line.ToString().TrimEnd());
    }
}
