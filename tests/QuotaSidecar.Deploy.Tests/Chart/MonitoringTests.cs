using System.Text.Json;
using QuotaSidecar.Deploy.Tests.Monitoring;
using QuotaSidecar.Testing;
using QuotaSidecar.Deploy.Tests.Rendering;

namespace QuotaSidecar.Deploy.Tests.Chart;

/// <summary>The PodMonitor, the PrometheusRule and the dashboard ConfigMap as the chart renders them.</summary>
public sealed class MonitoringTests
{
    [Fact]
    public void PodMonitor_scrapes_the_sidecars_http_port_of_every_pod_that_carries_it()
    {
        var release = RenderedRelease.Of(ValueSet.PodMonitor);
        var deployment = release.WorkloadWithSidecar("quota");
        var monitor = release.Single<PodMonitor>(_ => true, "PodMonitor");

        foreach (var (key, value) in monitor.Spec.Selector.MatchLabels)
        {
            Assert.True(deployment.Spec.Template.Metadata.Labels.TryGetValue(key, out var actual) && actual == value, $"the pods lack the PodMonitor's label {key}={value}");
        }

        var endpoint = Assert.Single(monitor.Spec.PodMetricsEndpoints);
        var sidecar = deployment.Spec.Template.Spec.InitContainers.Single(c => c.Name == "quota");
        Assert.Contains(sidecar.Ports, p => p.Name == endpoint.Port);
        Assert.Equal("/metrics", endpoint.Path);
        Assert.Equal([RenderedRelease.Namespace], monitor.Spec.NamespaceSelector?.MatchNames);
        Assert.DoesNotContain(release.All<ServiceMonitor>(), _ => true);
    }

    [Theory]
    [InlineData(ValueSet.Full, "quota-sidecar")]
    [InlineData(ValueSet.PodMonitor, "quota")]
    public void PrometheusRule_carries_every_alert_of_the_rule_file_for_the_configured_container(string valueSet, string container)
    {
        var release = RenderedRelease.Of(valueSet);
        var rule = release.Single<PrometheusRule>(_ => true, "PrometheusRule");
        var alerts = rule.Spec.Groups.SelectMany(g => g.Rules).ToList();
        var inFile = File.ReadAllLines(Path.Combine(Repository.Root, "helm/quota-sidecar/files/alerts.yaml"))
            .Where(l => l.TrimStart().StartsWith("- alert:", StringComparison.Ordinal))
            .Select(l => l.Split(':')[1].Trim())
            .ToList();

        Assert.True(inFile.Count >= 8, "files/alerts.yaml has fewer alerts than the chart promises");
        Assert.Equal(inFile, alerts.Select(a => a.Alert));
        Assert.All(alerts, a => Assert.Contains(a.Labels["severity"], new[] { "critical", "warning" }));
        var memory = alerts.Single(a => a.Alert == "QuotaSidecarMemoryNearLimit");
        Assert.Contains($"container=\"{container}\"", memory.Expr, StringComparison.Ordinal);
        Assert.DoesNotContain(alerts, a => container != "quota-sidecar" && a.Expr.Contains("container=\"quota-sidecar\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ValueSet.Full, "quota-sidecar", "monitoring")]
    [InlineData(ValueSet.PodMonitor, "quota", RenderedRelease.Namespace)]
    public void Dashboard_ConfigMap_holds_the_dashboard_for_grafanas_sidecar(string valueSet, string container, string ns)
    {
        var release = RenderedRelease.Of(valueSet);
        var map = release.Dashboard;

        Assert.Equal("1", map.Metadata.Labels["grafana_dashboard"]);
        Assert.Equal(ns, map.Metadata.NamespaceProperty);
        using var dashboard = JsonDocument.Parse(map.Data["quota-sidecar.json"]);
        Assert.Equal("quota-sidecar", dashboard.RootElement.GetProperty("uid").GetString());
        var memory = MetricNamesTests.Queries(dashboard.RootElement).Where(q => q.Contains("container_memory_working_set_bytes", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(memory);
        Assert.All(memory, q => Assert.Contains($"container=\"{container}\"", q, StringComparison.Ordinal));
    }

    [Fact]
    public void Monitoring_objects_are_off_by_default()
    {
        var release = RenderedRelease.Of(ValueSet.Example);

        Assert.Empty(release.All<PrometheusRule>());
        Assert.Empty(release.All<PodMonitor>());
        Assert.DoesNotContain(release.All<k8s.Models.V1ConfigMap>(), c => c.Data?.ContainsKey("quota-sidecar.json") == true);
    }

    [Fact]
    public void PromQl_metric_names_skip_functions_labels_keywords_and_variables()
    {
        var names = PromQl.MetricNames(
            "histogram_quantile(0.99, sum by (le, method) (rate(a_bucket{namespace=~\"$namespace\", x=\"y(z)\"}[$__rate_interval]))) / on (pod) b_total offset 10m > 0 unless c or vector(1)");

        Assert.Equal(new[] { "a_bucket", "b_total", "c" }, names.Order(StringComparer.Ordinal));
    }
}
