using QuotaSidecar.Cli.Arguments;

namespace QuotaSidecar.Cli.Tests.Arguments;

public sealed class DurationSyntaxTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h0m1ms", 3_600_001)]
    public void Durations_with_units_parse(string text, long expectedMilliseconds)
    {
        Assert.True(DurationSyntax.TryParse(text, out var value, out var error), error);

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), value);
    }

    [Theory]
    [InlineData("30")]
    [InlineData("s")]
    [InlineData("5x")]
    [InlineData("1.5s")]
    [InlineData("-5s")]
    [InlineData("30 s")]
    [InlineData("30S")]
    [InlineData("")]
    public void Malformed_durations_name_the_accepted_forms(string text)
    {
        Assert.False(DurationSyntax.TryParse(text, out _, out var error));

        Assert.Equal($"must be a duration such as 500ms, 30s, 2m or 1h (got '{text}')", error);
    }

    [Fact]
    public void Zero_is_rejected_because_a_zero_deadline_or_ttl_is_a_mistake()
    {
        Assert.False(DurationSyntax.TryParse("0s", out _, out var error));

        Assert.Equal("must be longer than 0 (got '0s')", error);
    }

    [Theory]
    [InlineData("99999999999999999h")]
    [InlineData("9223372036854775807ms")]
    public void Overflowing_durations_are_errors_not_negative_deadlines(string text)
    {
        Assert.False(DurationSyntax.TryParse(text, out _, out var error));

        Assert.StartsWith("is too long", error, StringComparison.Ordinal);
    }
}
