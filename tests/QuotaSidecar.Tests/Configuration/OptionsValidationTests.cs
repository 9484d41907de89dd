using Microsoft.Extensions.Options;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Configuration;

/// <summary>Bad settings stop the start with a message that names the setting and says what to fix.</summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("Quota:Grpc:Port", "70000", "Quota:Grpc:Port must be 0-65535")]
    [InlineData("Quota:Grpc:Host", "localhost", "Quota:Grpc:Host must be an IP address")]
    [InlineData("Quota:Grpc:UnixSocket", "relative.sock", "Quota:Grpc:UnixSocket must be an absolute path")]
    [InlineData("Quota:Http:Port", "7070", "Quota:Http:Port and Quota:Grpc:Port must differ")]
    [InlineData("Quota:Admin:Token", "short", "Quota:Admin:Token must be at least 16 characters")]
    [InlineData("Quota:Store", "Redis", "Quota:Redis:ConnectionString is unset")]
    [InlineData("Quota:Settle:Interval", "00:00:00.001", "Quota:Settle:Interval must be between")]
    [InlineData("Quota:Holds:DefaultTtl", "02:00:00", "Quota:Holds:DefaultTtl must be between")]
    [InlineData("Quota:Leases:Ttl", "00:00:00.5", "Quota:Leases:Ttl")]
    [InlineData("Quota:Leases:MaxShare", "1.5", "Quota:Leases:MaxShare must be in (0, 1]")]
    [InlineData("Quota:FailOpenAllowance", "-1", "Quota:FailOpenAllowance must be between 0")]
    [InlineData("Quota:Seed:Accounts:0:AccountId", "bad id", "Quota:Seed:Accounts:0:AccountId may contain only")]
    public void Bad_settings_fail_the_start_with_a_clear_message(string key, string value, string message)
    {
        using var sidecar = new SidecarFactory().With(key, value);

        var e = Assert.ThrowsAny<Exception>(() => sidecar.Server);

        var validation = e as OptionsValidationException ?? e.InnerException as OptionsValidationException;
        Assert.NotNull(validation);
        Assert.Contains(validation.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }
}
