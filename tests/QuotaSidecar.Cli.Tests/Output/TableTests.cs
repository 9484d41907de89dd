using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Tests.Output;

public sealed class TableTests
{
    [Fact]
    public void Columns_are_padded_to_the_widest_cell_and_numbers_right_aligned()
    {
        var table = new Table(new TableColumn("GRANT"), new TableColumn("AMOUNT", AlignRight: true), new TableColumn("NOTE"));
        table.AddRow("promo-1", "5", "first");
        table.AddRow("g", "10000", "");
        using var writer = new StringWriter();

        table.Write(writer);

        Assert.Equal(
            """
            GRANT    AMOUNT  NOTE
            promo-1       5  first
            g         10000

            """,
            writer.ToString());
    }

    [Fact]
    public void Lines_have_no_trailing_spaces()
    {
        var table = new Table(new TableColumn("A"), new TableColumn("LONG HEADER"));
        table.AddRow("x", "");
        using var writer = new StringWriter();

        table.Write(writer);

        Assert.All(writer.ToString().Split(Environment.NewLine), line => Assert.Equal(line.TrimEnd(), line));
    }

    [Fact]
    public void A_table_without_rows_still_prints_its_header()
    {
        using var writer = new StringWriter();

        new Table(new TableColumn("ENTRY"), new TableColumn("KIND")).Write(writer);

        Assert.Equal("ENTRY  KIND" + Environment.NewLine, writer.ToString());
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_cells_is_a_bug_caught_at_once()
    {
        var table = new Table(new TableColumn("A"), new TableColumn("B"));

        var exception = Assert.Throws<ArgumentException>(() => table.AddRow("only one"));

        Assert.StartsWith("expected 2 cells (got 1)", exception.Message, StringComparison.Ordinal);
    }
}
