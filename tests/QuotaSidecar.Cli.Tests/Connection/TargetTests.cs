using QuotaSidecar.Cli.Connection;

namespace QuotaSidecar.Cli.Tests.Connection;

public sealed class TargetTests
{
    [Theory]
    [InlineData("http://127.0.0.1:7070", "http://127.0.0.1:7070/")]
    [InlineData("https://quota.internal:443", "https://quota.internal/")]
    [InlineData("127.0.0.1:7070", "http://127.0.0.1:7070/")]
    [InlineData("localhost:7070", "http://localhost:7070/")]
    public void Http_targets_keep_their_address(string text, string expectedAddress)
    {
        Assert.True(Target.TryParse(text, out var target, out var error), error);

        Assert.Equal(new Uri(expectedAddress), target.Address);
        Assert.Null(target.SocketPath);
    }

    [Theory]
    [InlineData("unix:/run/quota/sidecar.sock")]
    [InlineData("unix:///run/quota/sidecar.sock")]
    [InlineData("UNIX:/run/quota/sidecar.sock")]
    public void Unix_targets_connect_to_the_socket_with_a_localhost_authority(string text)
    {
        Assert.True(Target.TryParse(text, out var target, out var error), error);

        Assert.Equal("/run/quota/sidecar.sock", target.SocketPath);
        Assert.Equal(new Uri("http://localhost"), target.Address);
        Assert.Equal("unix:/run/quota/sidecar.sock", target.ToString());
    }

    [Fact]
    public void A_relative_socket_path_is_made_absolute()
    {
        Assert.True(Target.TryParse("unix:sidecar.sock", out var target, out _));

        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "sidecar.sock"), target.SocketPath);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ftp://quota:21")]
    [InlineData("http://")]
    [InlineData("http://exa mple:70")]
    public void Other_targets_are_rejected_with_the_accepted_forms(string text)
    {
        Assert.False(Target.TryParse(text, out _, out var error));

        Assert.Equal($"must be http://host:port, https://host:port or unix:/path/to.sock (got '{text}')", error);
    }

    [Fact]
    public void A_unix_target_needs_a_path()
    {
        Assert.False(Target.TryParse("unix:", out _, out var error));

        Assert.Equal("must name a socket path, e.g. unix:/run/quota/sidecar.sock (got 'unix:')", error);
    }
}
