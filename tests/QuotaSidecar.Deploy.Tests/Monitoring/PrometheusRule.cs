using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>
/// The Prometheus Operator's PrometheusRule (monitoring.coreos.com/v1) as the chart renders it: the groups of helm/quota-sidecar/files/alerts.yaml. The tests parse strictly, so a field the chart adds must be added here on purpose.
/// </summary>
internal sealed class PrometheusRule : IKubernetesObject<V1ObjectMeta>
{
    public const string ApiVersionValue = "monitoring.coreos.com/v1";
    public const string KindValue = "PrometheusRule";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ApiVersionValue;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindValue;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public PrometheusRuleSpec Spec { get; set; } = new();
}
