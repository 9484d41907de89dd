using Microsoft.Extensions.Configuration;
using QuotaSidecar.Configuration;
using QuotaSidecar.Events;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Events;

/// <summary>Quota:Events settings are validated at start with a message that names the setting.</summary>
public sealed class EventOptionsTests
{
    [Theory]
    [InlineData("Retention", "00:00:30", "Quota:Events:Retention must be at least 1 minute")]
    [InlineData("WatchPollInterval", "00:00:00.001", "Quota:Events:WatchPollInterval must be between")]
    [InlineData("MaxScan", "10", "Quota:Events:MaxScan must be between")]
    [InlineData("SweepInterval", "00:00:00.010", "Quota:Events:SweepInterval must be between")]
    [InlineData("SweepCount", "1", "Quota:Events:SweepCount must be between")]
    [InlineData("GrantExpiringLead", "-00:00:01", "Quota:Events:GrantExpiringLead must be between")]
    [InlineData("GrantExpiringLead", "00:00:30", "Quota:Events:GrantExpiringLead must be 0 (off) or at least 1 minute")]
    [InlineData("ExpiryPassInterval", "00:00:00.010", "Quota:Events:ExpiryPassInterval must be between")]
    [InlineData("ExpiryPassCount", "1", "Quota:Events:ExpiryPassCount must be between")]
    public void Bad_settings_are_rejected_with_a_clear_message(string key, string value, string message)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{EventsRegistration.Section}:{key}"] = value }).Build();
        var options = configuration.GetSection(QuotaOptions.Section).Get<QuotaOptions>() ?? new QuotaOptions();

        var result = new EventOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_are_valid() => Assert.True(new EventOptionsValidator().Validate(null, new QuotaOptions()).Succeeded);

    [Fact]
    public async Task The_real_executable_refuses_to_start_with_a_bad_setting_and_says_why()
    {
        var run = await ProcessRun.DotnetAsync(
            Repository.SidecarDll, [],
            new Dictionary<string, string> { ["Quota__Events__Retention"] = "00:00:30", ["Quota__Grpc__Port"] = "0", ["Quota__Grpc__UnixSocket"] = "/tmp/never-used.sock", ["Quota__Http__Port"] = "1" });

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Quota:Events:Retention must be at least 1 minute", run.Stdout + run.Stderr, StringComparison.Ordinal);
    }
}
