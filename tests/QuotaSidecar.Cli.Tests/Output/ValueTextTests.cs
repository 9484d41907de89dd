using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Tests.Output;

public sealed class ValueTextTests
{
    [Fact]
    public void Times_are_UTC_ISO_8601_with_fractions_only_when_present()
    {
        var whole = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 7, 1, 9, 30, 0, TimeSpan.Zero));
        var fraction = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 7, 1, 9, 30, 0, 250, TimeSpan.Zero));

        Assert.Equal("2025-07-01T09:30:00Z", ValueText.Time(whole));
        Assert.Equal("2025-07-01T09:30:00.25Z", ValueText.Time(fraction));
    }

    [Fact]
    public void Absent_values_print_a_placeholder_so_columns_never_collapse()
    {
        Assert.Equal("-", ValueText.Time(null));
        Assert.Equal("never", ValueText.Time(null, whenAbsent: "never"));
        Assert.Equal("-", ValueText.Text(""));
        Assert.Equal("-", ValueText.Map([]));
    }

    [Fact]
    public void Maps_print_in_key_order()
    {
        var map = new MapField<string, string> { ["source"] = "stripe", ["invoice"] = "INV-7" };

        Assert.Equal("invoice=INV-7, source=stripe", ValueText.Map(map));
    }

    [Fact]
    public void Numbers_have_no_group_separators_so_they_can_be_pasted_back()
    {
        Assert.Equal("9007199254740992", ValueText.Number(9007199254740992));
        Assert.Equal("yes", ValueText.Flag(true));
        Assert.Equal("no", ValueText.Flag(false));
    }
}
