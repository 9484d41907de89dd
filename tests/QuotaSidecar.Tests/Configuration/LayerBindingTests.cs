using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Configuration;

/// <summary>The configuration binds once, into the engine's and the ledgers' own options; derived timings follow.</summary>
public sealed class LayerBindingTests
{
    [Fact]
    public void Defaults_give_the_layers_the_values_the_sidecar_has_always_run_with()
    {
        var options = new QuotaOptions();
        options.DeriveLayerSettings();

        var engine = options.EngineOptions;
        Assert.Equal(TimeSpan.FromSeconds(60), engine.DefaultHoldTtl);
        Assert.Equal(TimeSpan.FromHours(1), engine.MaxHoldTtl);
        Assert.Equal(TimeSpan.FromMinutes(10), engine.IdempotencyWindow);
        Assert.Equal(100_000, engine.MaxIdempotencyRecords);
        Assert.Equal(524_288, engine.SidecarIdRecords);
        Assert.Equal(TimeSpan.FromMilliseconds(250), engine.SettleInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), engine.RefillHorizon);
        Assert.Equal(100, engine.MinLease);
        Assert.Equal(1_000_000, engine.MaxLease);
        Assert.Equal(TimeSpan.FromSeconds(10), engine.IdleReturnAfter);
        Assert.Equal(TimeSpan.FromSeconds(10), engine.LeaseRenewInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(625), engine.ReclaimWait);
        Assert.Equal(0, engine.FailOpenAllowance);
        Assert.Equal(TimeSpan.FromMinutes(5), engine.EvictIdleAfter);
        Assert.Matches($"^{Environment.MachineName}-[0-9a-f]{{8}}$", engine.InstanceId);

        var ledger = options.CentralLedgerOptions;
        Assert.Equal(TimeSpan.FromSeconds(30), ledger.LeaseTtl);
        Assert.Equal(TimeSpan.FromSeconds(5), ledger.ReclaimGrace);
        Assert.Equal(0.10, ledger.MaxLeaseShare);
        Assert.Equal(TimeSpan.FromSeconds(2), ledger.ReclaimWindow);
        Assert.Equal(10_000, ledger.MaxLedgerEntries);

        Assert.Equal("quota", options.RedisLedgerOptions.KeyPrefix);
        Assert.Same(ledger, options.RedisLedgerOptions.Central);
        Assert.Null(options.Redis.ConnectionString);
    }

    [Fact]
    public void Every_setting_lands_in_the_layer_that_owns_it()
    {
        var options = Bind(new()
        {
            ["Quota:InstanceName"] = "pod-7",
            ["Quota:Holds:DefaultTtl"] = "00:00:20",
            ["Quota:Holds:MaxTtl"] = "00:10:00",
            ["Quota:Idempotency:Window"] = "00:02:00",
            ["Quota:Idempotency:MaxRecords"] = "50000",
            ["Quota:Idempotency:SidecarIdRecords"] = "65536",
            ["Quota:Settle:Interval"] = "00:00:00.100",
            ["Quota:Leases:Ttl"] = "00:00:45",
            ["Quota:Leases:Min"] = "5",
            ["Quota:Leases:Max"] = "500",
            ["Quota:Leases:MaxShare"] = "0.5",
            ["Quota:Leases:RefillHorizon"] = "00:00:03",
            ["Quota:Leases:IdleReturnAfter"] = "00:00:04",
            ["Quota:FailOpenAllowance"] = "7",
            ["Quota:Limits:EvictIdleAccountsAfter"] = "00:02:00",
            ["Quota:Ledger:MaxEntries"] = "42",
            ["Quota:Redis:ConnectionString"] = "redis.example:6380,ssl=true",
            ["Quota:Redis:KeyPrefix"] = "tenant-a",
            ["Quota:Redis:TlsCaFile"] = "/etc/ca.pem",
            ["Quota:Redis:TlsCertFile"] = "/etc/client.pem",
            ["Quota:Redis:TlsKeyFile"] = "/etc/client.key",
        });
        options.DeriveLayerSettings();

        var engine = options.EngineOptions;
        Assert.Matches("^pod-7-[0-9a-f]{8}$", engine.InstanceId);
        Assert.Equal(TimeSpan.FromSeconds(20), engine.DefaultHoldTtl);
        Assert.Equal(TimeSpan.FromMinutes(10), engine.MaxHoldTtl);
        Assert.Equal(TimeSpan.FromMinutes(2), engine.IdempotencyWindow);
        Assert.Equal(50_000, engine.MaxIdempotencyRecords);
        Assert.Equal(65_536, engine.SidecarIdRecords);
        Assert.Equal(TimeSpan.FromMilliseconds(100), engine.SettleInterval);
        Assert.Equal(5, engine.MinLease);
        Assert.Equal(500, engine.MaxLease);
        Assert.Equal(TimeSpan.FromSeconds(3), engine.RefillHorizon);
        Assert.Equal(TimeSpan.FromSeconds(4), engine.IdleReturnAfter);
        Assert.Equal(7, engine.FailOpenAllowance);
        Assert.Equal(TimeSpan.FromMinutes(2), engine.EvictIdleAfter);

        var ledger = options.CentralLedgerOptions;
        Assert.Equal(TimeSpan.FromSeconds(45), ledger.LeaseTtl);
        Assert.Equal(0.5, ledger.MaxLeaseShare);
        Assert.Equal(42, ledger.MaxLedgerEntries);

        var redis = options.RedisLedgerOptions;
        Assert.Equal("redis.example:6380,ssl=true", redis.ConnectionString);
        Assert.Equal("tenant-a", redis.KeyPrefix);
        Assert.Equal("/etc/ca.pem", redis.TlsCaFile);
        Assert.Equal("/etc/client.pem", redis.TlsCertFile);
        Assert.Equal("/etc/client.key", redis.TlsKeyFile);
        Assert.Same(ledger, redis.Central);
    }

    [Fact]
    public void Derived_timings_follow_the_lease_ttl_and_the_settle_interval()
    {
        var options = Bind(new() { ["Quota:Leases:Ttl"] = "00:00:45", ["Quota:Settle:Interval"] = "00:00:00.100" });

        options.DeriveLayerSettings();

        Assert.Equal(TimeSpan.FromSeconds(15), options.EngineOptions.LeaseRenewInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.EngineOptions.ReclaimWait);
        Assert.Equal(TimeSpan.FromMilliseconds(800), options.CentralLedgerOptions.ReclaimWindow);
    }

    [Fact]
    public void The_old_name_Quota_Redis_MaxLedgerEntries_still_sets_the_ledger_limit()
    {
        var options = Bind(new() { ["Quota:Redis:MaxLedgerEntries"] = "3" });

        Assert.Equal(3, options.CentralLedgerOptions.MaxLedgerEntries);
        Assert.Equal(3, options.Ledger.MaxEntries);
    }

    [Fact]
    public void Quota_Ledger_MaxEntries_wins_over_its_old_name_whichever_is_read_first()
    {
        Assert.Equal(5, Bind(new() { ["Quota:Ledger:MaxEntries"] = "5", ["Quota:Redis:MaxLedgerEntries"] = "7" }).CentralLedgerOptions.MaxLedgerEntries);

        var newFirst = new QuotaOptions();
        newFirst.Ledger.MaxEntries = 5;
        newFirst.Redis.MaxLedgerEntries = 7;
        Assert.Equal(5, newFirst.CentralLedgerOptions.MaxLedgerEntries);

        var oldFirst = new QuotaOptions();
        oldFirst.Redis.MaxLedgerEntries = 7;
        oldFirst.Ledger.MaxEntries = 5;
        Assert.Equal(5, oldFirst.CentralLedgerOptions.MaxLedgerEntries);
    }

    [Fact]
    public async Task The_host_hands_the_bound_and_derived_options_to_the_engine_and_the_ledger()
    {
        await using var sidecar = new SidecarFactory()
            .With("Quota:InstanceName", "pod-9")
            .With("Quota:Leases:Ttl", "00:00:45")
            .With("Quota:Settle:Interval", "00:00:00.100")
            .With("Quota:Ledger:MaxEntries", "3");
        _ = sidecar.Server;

        var options = sidecar.Services.GetRequiredService<IOptions<QuotaOptions>>().Value;
        var engine = sidecar.Services.GetRequiredService<QuotaEngine>();
        var ledger = sidecar.Services.GetRequiredService<CentralLedgerOptions>();

        Assert.Equal(options.EngineOptions.InstanceId, engine.InstanceId);
        Assert.StartsWith("pod-9-", engine.InstanceId, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(15), options.EngineOptions.LeaseRenewInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.EngineOptions.ReclaimWait);
        Assert.Same(options.CentralLedgerOptions, ledger);
        Assert.Equal(TimeSpan.FromSeconds(45), ledger.LeaseTtl);
        Assert.Equal(TimeSpan.FromMilliseconds(800), ledger.ReclaimWindow);
        Assert.Equal(3, ledger.MaxLedgerEntries);
    }

    private static QuotaOptions Bind(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(QuotaOptions.Section).Get<QuotaOptions>()
        ?? throw new InvalidOperationException("the Quota section did not bind");
}
