using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace QuotaSidecar.Client.Tests;

/// <summary>Addresses and options: what is accepted, and bad values refused with a message naming the option.</summary>
public sealed class QuotaClientOptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:7070", "http://127.0.0.1:7070/", null)]
    [InlineData("https://quota.local:7443", "https://quota.local:7443/", null)]
    [InlineData("unix:/run/quota/quota.sock", "http://localhost/", "/run/quota/quota.sock")]
    [InlineData("unix:///run/quota/quota.sock", "http://localhost/", "/run/quota/quota.sock")]
    public void Addresses_are_tcp_urls_or_unix_sockets(string address, string uri, string? socket)
    {
        var parsed = QuotaAddress.Parse(address);

        Assert.Equal(uri, parsed.Uri.ToString());
        Assert.Equal(socket, parsed.SocketPath);
    }

    [Theory]
    [InlineData("Address", "127.0.0.1:7070", "QuotaClientOptions.Address: expected http://host:port")]
    [InlineData("Address", "unix:relative.sock", "needs an absolute path")]
    [InlineData("Timeout", "0", "QuotaClientOptions.Timeout must be > 0")]
    [InlineData("MaxAttempts", "0", "QuotaClientOptions.MaxAttempts must be 1..10")]
    public void Bad_options_stop_the_host_with_the_option_named(string option, string value, string message)
    {
        var services = new ServiceCollection();
        services.AddQuotaClient(o =>
        {
            switch (option)
            {
                case "Address": o.Address = value; break;
                case "Timeout": o.Timeout = TimeSpan.FromSeconds(int.Parse(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                default: o.MaxAttempts = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            }
        });
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<QuotaClientOptions>>().Value);

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        new QuotaClientOptions().Validate();
    }
}
