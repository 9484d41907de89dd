using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Configuration;
using QuotaSidecar.Tests.Envoy;
using QuotaSidecar.Tests.Infrastructure;
using QuotaSidecar.Tests.Metrics;

namespace QuotaSidecar.Tests.Configuration;

/// <summary>
/// The live settings file end to end: the real host over a real gRPC channel reads Quota:SettingsFile from a directory
/// laid out as a mounted ConfigMap, and each update (a <c>..data</c> symlink swap) changes what the next call gets,
/// within a bounded wait for the poll. In the metrics collection: the reload metrics are read from /metrics.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class LiveSettingsTests : IDisposable
{
    private static readonly TimeSpan ReloadWait = TimeSpan.FromSeconds(10);
    private readonly LogCapture _logs = new();
    private ConfigMapDirectory? _configMap;
    private SidecarFactory? _sidecar;

    [Fact]
    public async Task A_new_allow_list_lets_an_added_account_through_and_refuses_a_removed_one()
    {
        var sidecar = Start("""{ "Quota": { "AllowedAccounts": [ "team-a-*" ] } }""");
        Assert.Equal(Decision.Denied, (await ConsumeAsync(sidecar, "team-a-1", 1)).Decision); // allowed: unknown, so denied
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => ConsumeAsync(sidecar, "team-b-1", 1))).StatusCode);

        await UpdateAsync("""{ "Quota": { "AllowedAccounts": [ "team-b-*" ] } }""");

        Assert.Equal(Decision.Denied, (await ConsumeAsync(sidecar, "team-b-1", 1)).Decision);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => ConsumeAsync(sidecar, "team-a-1", 1))).StatusCode);
        Assert.Equal(1, _logs.Count(LogLevel.Information, "Quota:AllowedAccounts:0 'team-a-*' -> 'team-b-*'"));
    }

    [Fact]
    public async Task Shadow_mode_switched_on_and_off_flips_a_denial_to_granted_and_back()
    {
        var sidecar = Start("""{ "Quota": { "Shadow": false } }""");
        var account = await EnvoySidecar.NewAccountAsync(sidecar, 1);
        Assert.Equal(Decision.Denied, (await ConsumeAsync(sidecar, account, 5)).Decision);

        await UpdateAsync("""{ "Quota": { "Shadow": true } }""");
        var shadowed = await ConsumeAsync(sidecar, account, 5);
        await UpdateAsync("""{ "Quota": { "Shadow": false } }""");
        var enforced = await ConsumeAsync(sidecar, account, 5);

        Assert.Equal(Decision.Granted, shadowed.Decision);
        Assert.True(shadowed.ShadowDenied);
        Assert.Equal(DenyReason.InsufficientCredits, shadowed.ShadowReason);
        Assert.Equal(Decision.Denied, enforced.Decision);
        Assert.False(enforced.ShadowDenied);
        Assert.Equal(1, await EnvoySidecar.SpendableAsync(sidecar, account)); // the shadowed grant charged nothing
    }

    [Fact]
    public async Task A_changed_envoy_path_cost_and_default_cost_change_what_ext_authz_charges()
    {
        var sidecar = Start("""{ "Quota": { "Envoy": { "DefaultCost": 1, "PathCosts": [ { "Prefix": "/v1/reports", "Cost": 5 } ] } } }""");
        var account = await EnvoySidecar.NewAccountAsync(sidecar, 1000);
        var authz = new QuotaSidecar.Api.Envoy.Auth.V3.Authorization.AuthorizationClient(sidecar.Channel);
        var headers = new Dictionary<string, string> { ["x-quota-account"] = account };
        Assert.Equal(5, await ChargeAsync(sidecar, authz, account, "/v1/reports/42", headers));
        Assert.Equal(1, await ChargeAsync(sidecar, authz, account, "/v1/other", headers));

        await UpdateAsync("""{ "Quota": { "Envoy": { "DefaultCost": 3, "PathCosts": [ { "Prefix": "/v1/reports", "Cost": 7 } ] } } }""");

        Assert.Equal(7, await ChargeAsync(sidecar, authz, account, "/v1/reports/42", headers));
        Assert.Equal(3, await ChargeAsync(sidecar, authz, account, "/v1/other", headers));
    }

    [Fact]
    public async Task An_invalid_file_is_rejected_naming_the_setting_and_the_old_settings_stay()
    {
        var sidecar = Start("""{ "Quota": { "AllowedAccounts": [ "team-a-*" ] }, "Logging": { "LogLevel": { "Reload.Probe": "Warning" } } }""");

        _configMap!.Update("""{ "Quota": { "AllowedAccounts": [ "team b" ] } }""");
        await WaitForAsync(LogLevel.Error, "Quota:AllowedAccounts", 1);
        _configMap.Update("""{ "Quota": { "Envoy": { "DefaultCost": 0 } } }""");
        await WaitForAsync(LogLevel.Error, "Quota:Envoy:DefaultCost", 1);
        _configMap.Update("""{ "Logging": { "LogLevel": { "Reload.Probe": "Loud" } } }""");
        await WaitForAsync(LogLevel.Error, "Logging:LogLevel:Reload.Probe must be a log level", 1);
        _configMap.Update("""{ "Quota": { "Shadow": "maybe" } }""");
        await WaitForAsync(LogLevel.Error, "Quota:Shadow", 1);
        _configMap.Update("""{ "Quota": { "AllowedAccounts": [ """);
        await WaitForAsync(LogLevel.Error, "is not valid JSON", 1);

        Assert.Equal(Decision.Denied, (await ConsumeAsync(sidecar, "team-a-1", 1)).Decision); // still allowed
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => ConsumeAsync(sidecar, "team-b-1", 1))).StatusCode);
        Assert.False(sidecar.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Reload.Probe").IsEnabled(LogLevel.Information));
        Assert.Equal(0, _logs.Count(LogLevel.Information, "Settings reloaded"));
        Assert.Matches(@"quota_settings_reloads_total\{[^}]*result=""rejected""[^}]*\} 5\b", await MetricsAsync(sidecar));
    }

    [Fact]
    public async Task A_log_level_changes_without_a_restart()
    {
        var sidecar = Start("""{ "Logging": { "LogLevel": { "Reload.Probe": "Warning" } } }""");
        var probe = sidecar.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Reload.Probe");
        Assert.False(probe.IsEnabled(LogLevel.Debug));

        _configMap!.Update("""{ "Logging": { "LogLevel": { "Reload.Probe": "Debug" } } }""");

        await Wait.UntilAsync(() => Task.FromResult(probe.IsEnabled(LogLevel.Debug)), ReloadWait, () => "the new log level was not applied", CancellationToken.None);
    }

    [Fact]
    public async Task A_setting_that_needs_a_restart_is_logged_once_and_sets_the_gauge_until_it_is_back()
    {
        const string Original = """{ "Quota": { "Shadow": false } }""";
        var sidecar = Start(Original);
        Assert.Matches(@"quota_settings_restart_pending(\{[^}]*\})? 0\b", await MetricsAsync(sidecar));

        await UpdateAsync("""{ "Quota": { "Shadow": false, "Store": "Redis", "Redis": { "ConnectionString": "127.0.0.1:1" } } }""");
        var pending = await MetricsAsync(sidecar);
        await UpdateAsync("""{ "Quota": { "Shadow": true, "Store": "Redis", "Redis": { "ConnectionString": "127.0.0.1:1" } } }""", reloads: 2);
        var stillPending = await MetricsAsync(sidecar);
        await UpdateAsync(Original, reloads: 3);
        var back = await MetricsAsync(sidecar);

        Assert.Equal(1, _logs.Count(LogLevel.Warning, $"Quota:Store changed in {_configMap!.FilePath}; needs a restart to take effect"));
        Assert.Equal(1, _logs.Count(LogLevel.Warning, "Quota:Redis:ConnectionString changed in"));
        Assert.Equal(1, _logs.Count(LogLevel.Information, "Quota:Store in"));
        Assert.Matches(@"quota_settings_restart_pending(\{[^}]*\})? 1\b", pending);
        Assert.Matches(@"quota_settings_restart_pending(\{[^}]*\})? 1\b", stillPending);
        Assert.Matches(@"quota_settings_restart_pending(\{[^}]*\})? 0\b", back);
        Assert.Matches(@"quota_settings_reloads_total\{[^}]*result=""applied""[^}]*\} 3\b", back);
        Assert.Equal(Decision.Denied, (await ConsumeAsync(sidecar, "nobody", 1)).Decision); // still the embedded store, serving
    }

    [Theory]
    [InlineData("Logging:LogLevel:Default", true)]
    [InlineData("Logging:Console:LogLevel:QuotaSidecar", true)]
    [InlineData("Quota:AllowedAccounts:3", true)]
    [InlineData("quota:shadow", true)]
    [InlineData("Quota:ShadowAccounts:0", true)]
    [InlineData("Quota:Envoy:PathCosts:0:Cost", true)]
    [InlineData("Quota:Envoy:DefaultCost", true)]
    [InlineData("Quota:Envoy:Enabled", false)]
    [InlineData("Quota:ShadowX", false)]
    [InlineData("Quota:Store", false)]
    [InlineData("Quota:Grpc:Port", false)]
    [InlineData("Logging:Console:FormatterName", false)]
    public void Live_settings_are_exactly_the_documented_ones(string key, bool live) => Assert.Equal(live, SettingsReload.IsLive(key));

    public void Dispose()
    {
        _sidecar?.Dispose();
        _configMap?.Dispose();
    }

    private SidecarFactory Start(string json)
    {
        _configMap = new ConfigMapDirectory(json);
        _sidecar = new SidecarFactory()
            .With("Quota:SettingsFile", _configMap.FilePath)
            .With("Quota:SettingsPollInterval", "00:00:00.100")
            .WithServices(s => s.AddSingleton<ILoggerProvider>(_logs));
        _ = _sidecar.Server;
        return _sidecar;
    }

    /// <summary>Publishes <paramref name="json"/> and waits until the sidecar has applied it (its
    /// <paramref name="reloads"/>th applied reload).</summary>
    private async Task UpdateAsync(string json, int? reloads = null)
    {
        var before = _logs.Count(LogLevel.Information, "Settings reloaded");
        _configMap!.Update(json);
        await WaitForAsync(LogLevel.Information, "Settings reloaded", reloads ?? before + 1);
    }

    private Task WaitForAsync(LogLevel level, string text, int count) => Wait.UntilAsync(
        () => Task.FromResult(_logs.Count(level, text) >= count),
        ReloadWait,
        () => $"no {count} log line(s) at {level} with '{text}' within {ReloadWait}; lines: {string.Join(" | ", _logs.Lines.Select(l => l.Message))}",
        CancellationToken.None);

    private static async Task<ConsumeResponse> ConsumeAsync(SidecarFactory sidecar, string account, long amount) =>
        await sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = amount }, Calls.Deadline);

    private static async Task<long> ChargeAsync(
        SidecarFactory sidecar, QuotaSidecar.Api.Envoy.Auth.V3.Authorization.AuthorizationClient authz, string account, string path, Dictionary<string, string> headers)
    {
        var before = await EnvoySidecar.SpendableAsync(sidecar, account);
        var response = await authz.CheckAsync(EnvoyRequests.Check("GET", path, headers), Calls.Deadline);
        Assert.Equal((int)Google.Rpc.Code.Ok, response.Status.Code);
        return before - await EnvoySidecar.SpendableAsync(sidecar, account);
    }

    private static async Task<string> MetricsAsync(SidecarFactory sidecar)
    {
        using var http = sidecar.CreateClient();
        return await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).WaitAsync(TimeSpan.FromSeconds(15));
    }
}
