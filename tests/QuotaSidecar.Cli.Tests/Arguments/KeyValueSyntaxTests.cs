using QuotaSidecar.Cli.Arguments;

namespace QuotaSidecar.Cli.Tests.Arguments;

public sealed class KeyValueSyntaxTests
{
    [Fact]
    public void Pairs_split_at_the_first_equals_sign()
    {
        Assert.True(KeyValueSyntax.TryParse(["operation=chat", "query=a=b", "note="], out var values, out var error), error);

        Assert.Equal(new Dictionary<string, string> { ["operation"] = "chat", ["query"] = "a=b", ["note"] = "" }, values);
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("=chat")]
    [InlineData("")]
    public void A_pair_without_a_key_is_rejected(string pair)
    {
        Assert.False(KeyValueSyntax.TryParse([pair], out _, out var error));

        Assert.Equal($"must be key=value (got '{pair}')", error);
    }

    [Fact]
    public void A_repeated_key_is_an_error_rather_than_a_silent_overwrite()
    {
        Assert.False(KeyValueSyntax.TryParse(["a=1", "a=2"], out _, out var error));

        Assert.Equal("has key 'a' more than once", error);
    }

    [Fact]
    public void Keys_are_case_sensitive_as_proto_map_keys_are()
    {
        Assert.True(KeyValueSyntax.TryParse(["a=1", "A=2"], out var values, out _));

        Assert.Equal(2, values.Count);
    }
}
