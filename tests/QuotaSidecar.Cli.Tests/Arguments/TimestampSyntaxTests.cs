using QuotaSidecar.Cli.Arguments;

namespace QuotaSidecar.Cli.Tests.Arguments;

public sealed class TimestampSyntaxTests
{
    [Theory]
    [InlineData("2025-07-01", "2025-07-01T00:00:00.0000000+00:00")]
    [InlineData("2025-07-01T09:30", "2025-07-01T09:30:00.0000000+00:00")]
    [InlineData("2025-07-01T09:30:15Z", "2025-07-01T09:30:15.0000000+00:00")]
    [InlineData("2025-07-01T09:30:15.250Z", "2025-07-01T09:30:15.2500000+00:00")]
    [InlineData("2025-07-01T09:30:15+02:00", "2025-07-01T07:30:15.0000000+00:00")]
    [InlineData("2025-07-01T09:30:15", "2025-07-01T09:30:15.0000000+00:00")]
    public void ISO_8601_instants_parse_as_UTC_unless_an_offset_is_given(string text, string expected)
    {
        Assert.True(TimestampSyntax.TryParse(text, out var value, out var error), error);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
        Assert.Equal(TimeSpan.Zero, value.Offset);
    }

    [Theory]
    [InlineData("07/01/2025")]
    [InlineData("1 July 2025")]
    [InlineData("tomorrow")]
    [InlineData("2025-13-01")]
    [InlineData("")]
    public void Other_forms_are_rejected_with_an_example(string text)
    {
        Assert.False(TimestampSyntax.TryParse(text, out _, out var error));

        Assert.Equal($"must be an ISO 8601 date or time such as 2025-07-01 or 2025-07-01T09:30:00Z (got '{text}')", error);
    }
}
