using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Tests.Output;

public sealed class KeyValueBlockTests
{
    [Fact]
    public void Values_start_in_one_column()
    {
        using var writer = new StringWriter();

        new KeyValueBlock().Add("account", "acme").Add("low-balance threshold", "100").Write(writer);

        Assert.Equal(
            """
            account                acme
            low-balance threshold  100

            """,
            writer.ToString());
    }

    [Fact]
    public void Numbers_are_right_aligned_among_themselves_and_indent_is_applied()
    {
        using var writer = new StringWriter();

        new KeyValueBlock().AddNumber("available", 7000).AddNumber("overage", 0).AddNumber("granted", -12345).Write(writer, indent: 2);

        Assert.Equal(
            """
              available    7000
              overage         0
              granted    -12345

            """,
            writer.ToString());
    }

    [Fact]
    public void An_empty_value_leaves_no_trailing_spaces()
    {
        using var writer = new StringWriter();

        new KeyValueBlock().Add("unit", "").Add("status", "active").Write(writer);

        Assert.Equal("unit" + Environment.NewLine + "status  active" + Environment.NewLine, writer.ToString());
    }
}
