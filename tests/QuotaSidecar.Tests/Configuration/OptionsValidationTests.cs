using Microsoft.Extensions.Configuration;
using QuotaSidecar.Configuration;
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
    [InlineData("Quota:Ledger:MaxEntries", "0", "Quota:Ledger:MaxEntries must be >= 1")]
    [InlineData("Quota:Redis:MaxLedgerEntries", "0", "Quota:Redis:MaxLedgerEntries must be >= 1")]
    [InlineData("Quota:Seed:Accounts:0:AccountId", "bad id", "Quota:Seed:Accounts:0:AccountId may contain only")]
    [InlineData("Quota:Idempotency:Window", "00:00:00.5", "Quota:Idempotency:Window must be between")]
    [InlineData("Quota:Idempotency:MaxRecords", "10", "Quota:Idempotency:MaxRecords must be between 1000")]
    [InlineData("Quota:Idempotency:SidecarIdRecords", "100", "Quota:Idempotency:SidecarIdRecords must be between 4096")]
    [InlineData("Quota:Ledger:InstanceRecordHorizon", "00:00:10", "Quota:Ledger:InstanceRecordHorizon must be between")]
    [InlineData("Quota:ShadowAccounts:0", "bad id*", "Quota:ShadowAccounts")]
    public void Bad_settings_are_rejected_with_a_clear_message(string key, string value, string message)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var options = configuration.GetSection(QuotaOptions.Section).Get<QuotaOptions>() ?? new QuotaOptions();

        var result = new QuotaOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_seeded_parent_must_be_listed_before_its_children()
    {
        var options = new QuotaOptions();
        options.Seed.Accounts.Add(new SeedAccount { AccountId = "team", ParentId = "org" });
        options.Seed.Accounts.Add(new SeedAccount { AccountId = "org" });
        options.Seed.Accounts.Add(new SeedAccount { AccountId = "other", ParentId = "not an id" });

        var result = new QuotaOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("Quota:Seed:Accounts:0:ParentId 'org' is seeded at index 1", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Quota:Seed:Accounts:2:ParentId may contain only", StringComparison.Ordinal));
        options.Seed.Accounts.Reverse(0, 2);
        options.Seed.Accounts.RemoveAt(2);
        Assert.True(new QuotaOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(new QuotaOptionsValidator().Validate(null, new QuotaOptions()).Succeeded);
    }

    [Fact]
    public async Task The_real_executable_refuses_to_start_with_bad_settings_and_says_why()
    {
        var run = await ProcessRun.DotnetAsync(
            Repository.SidecarDll, [],
            new Dictionary<string, string> { ["Quota__Admin__Token"] = "short", ["Quota__Grpc__Port"] = "0", ["Quota__Http__Port"] = "1" });

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Quota:Admin:Token must be at least 16 characters", run.Stdout + run.Stderr, StringComparison.Ordinal);
        Assert.Contains("Quota:Grpc:Port is 0 and Quota:Grpc:UnixSocket is unset", run.Stdout + run.Stderr, StringComparison.Ordinal);
    }
}
