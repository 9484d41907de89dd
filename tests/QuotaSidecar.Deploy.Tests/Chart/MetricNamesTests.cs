using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using QuotaSidecar.Deploy.Tests.Monitoring;
using QuotaSidecar.Testing;
using QuotaSidecar.Testing.Processes;

namespace QuotaSidecar.Deploy.Tests.Chart;

/// <summary>
/// Every metric the shipped dashboard and alerts read is one the sidecar exports: the real sidecar (embedded store)
/// is started, driven through grants and denials with quotactl, and its /metrics scraped.
/// </summary>
public sealed partial class MetricNamesTests
{
    /// <summary>Kubernetes names (cAdvisor, through the kubelet), not the sidecar's.</summary>
    private static readonly HashSet<string> KubernetesMetrics = new(StringComparer.Ordinal)
    {
        "container_memory_working_set_bytes",
        "container_spec_memory_limit_bytes",
    };

    /// <summary>
    /// Instruments the sidecar exports only once they have something to say: counters and histograms appear with their
    /// first event (a failure, a lost lease, a Redis call), the journal's only with the Redis store and a journal. Each
    /// is listed with the instrument that exports it, which must be declared in src/, and must be absent from the scrape
    /// (else it belongs to the scrape, not here).
    /// </summary>
    private static readonly Dictionary<string, string> OnlyAfterAnEvent = new(StringComparer.Ordinal)
    {
        ["quota_settle_failures_total"] = "quota.settle.failures",
        ["quota_lease_lost_total"] = "quota.lease.lost",
        ["quota_requests_shed_total"] = "quota.requests.shed",
        ["quota_shadow_denials_total"] = "quota.shadow.denials",
        ["quota_store_rollbacks_total"] = "quota.store.rollbacks",
        ["quota_store_rollback_restored_total"] = "quota.store.rollback.restored",
        ["quota_idempotency_dropped_total"] = "quota.idempotency.dropped",
        ["quota_store_wait_milliseconds_bucket"] = "quota.store.wait",
        ["quota_store_wait_milliseconds_count"] = "quota.store.wait",
        ["quota_redis_calls_total"] = "quota.redis.calls",
        ["quota_journal_enabled"] = "quota.journal.enabled",
        ["quota_journal_bytes"] = "quota.journal.bytes",
        ["quota_journal_records_total"] = "quota.journal.records",
        ["quota_journal_flush_duration_milliseconds_bucket"] = "quota.journal.flush.duration",
        ["quota_journal_failures_total"] = "quota.journal.failures",
        ["quota_webhooks_failed_total"] = "quota.webhooks.failed",
        ["quota_events_relay_failures_total"] = "quota.events.relay.failures",
        ["quota_journal_replayed_usage_total"] = "quota.journal.replayed.usage",
        ["quota_journal_lost_total"] = "quota.journal.lost",
        ["quota_journal_corrupt_total"] = "quota.journal.corrupt",
        ["quota_journal_torn_total"] = "quota.journal.torn",
    };

    [Fact]
    public async Task Dashboard_and_alerts_read_only_metrics_the_sidecar_exports()
    {
        var used = UsedMetricNames();
        Assert.Contains("quota_hot_path_duration_microseconds_bucket", used.Keys); // the extraction found the queries
        Assert.Contains("quota_store_breaker_state", used.Keys);
        Assert.True(used.Count >= 30, $"only {used.Count} metric names found in the dashboard and alerts");

        var exported = await ScrapeDrivenSidecarAsync();
        Assert.Contains("quota_decisions_total", exported);
        Assert.Contains("dotnet_process_memory_working_set_bytes", exported);

        var unknown = used
            .Where(u => !exported.Contains(u.Key) && !KubernetesMetrics.Contains(u.Key) && !OnlyAfterAnEvent.ContainsKey(u.Key))
            .Select(u => $"{u.Key} (in {u.Value})")
            .ToList();
        Assert.True(unknown.Count == 0, "the dashboard or the alerts read metrics the sidecar does not export:\n" + string.Join('\n', unknown));

        var sources = Directory.EnumerateFiles(Path.Combine(Repository.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        foreach (var (name, instrument) in OnlyAfterAnEvent)
        {
            Assert.False(exported.Contains(name), $"{name} is exported from the start: take it off the OnlyAfterAnEvent list");
            Assert.StartsWith(instrument.Replace('.', '_'), name, StringComparison.Ordinal);
            Assert.True(sources.Any(s => s.Contains($"\"{instrument}\"", StringComparison.Ordinal)), $"no instrument \"{instrument}\" in src/ exports {name}");
        }
    }

    /// <summary>Every PromQL query of a Grafana dashboard (each target's expr, in rows and panels alike).</summary>
    internal static IEnumerable<string> Queries(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.NameEquals("expr") && property.Value.ValueKind == JsonValueKind.String)
                {
                    yield return property.Value.GetString()!;
                }

                foreach (var query in Queries(property.Value))
                {
                    yield return query;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var query in Queries(item))
                {
                    yield return query;
                }
            }
        }
    }

    /// <summary>Metric name to where it is used: the dashboard's queries and the alerts' expressions.</summary>
    private static Dictionary<string, string> UsedMetricNames()
    {
        var used = new Dictionary<string, string>(StringComparer.Ordinal);
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "helm/quota-sidecar/files/dashboard.json")));
        foreach (var query in Queries(dashboard.RootElement))
        {
            foreach (var name in PromQl.MetricNames(query))
            {
                used.TryAdd(name, "files/dashboard.json");
            }
        }

        var rules = Rendering.RenderedRelease.Of(Rendering.ValueSet.Full).Single<PrometheusRule>(_ => true, "PrometheusRule");
        foreach (var alert in rules.Spec.Groups.SelectMany(g => g.Rules))
        {
            foreach (var name in PromQl.MetricNames(alert.Expr))
            {
                used.TryAdd(name, $"alert {alert.Alert}");
            }
        }

        return used;
    }

    private static async Task<HashSet<string>> ScrapeDrivenSidecarAsync()
    {
        await using var sidecar = await SidecarProcess.StartAsync(new Dictionary<string, string>
        {
            ["Quota__Seed__Accounts__0__AccountId"] = "metrics-demo",
            ["Quota__Seed__Accounts__0__Credits"] = "1000",
        });
        string[][] calls =
        [
            ["reserve", "metrics-demo", "10", "--id", "m-1"],
            ["commit", "m-1", "7"],
            ["consume", "metrics-demo", "5"],
            ["consume", "metrics-demo", "100000"], // denied: insufficient credits
            ["consume", "metrics-nobody", "1"], // denied: unknown account
        ];
        foreach (var call in calls)
        {
            var run = await ProcessRun.DotnetAsync(Repository.QuotactlDll, ["--target", sidecar.TcpTarget, .. call]);
            Assert.True(run.ExitCode is 0 or 3, $"quotactl {string.Join(' ', call)}: {run}");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{sidecar.HttpPort.ToString(CultureInfo.InvariantCulture)}/metrics"));
        return [.. text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => SampleName().Match(l).Value)];
    }

    [GeneratedRegex(@"^[a-zA-Z_:][\w:]*")]
    private static partial Regex SampleName();
}
