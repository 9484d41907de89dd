using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>
/// The part of the Prometheus Operator's PodMonitor (monitoring.coreos.com/v1) that the chart renders. The tests parse strictly, so a field the chart adds must be added here on purpose.
/// </summary>
internal sealed class PodMonitor : IKubernetesObject<V1ObjectMeta>
{
    public const string ApiVersionValue = "monitoring.coreos.com/v1";
    public const string KindValue = "PodMonitor";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ApiVersionValue;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindValue;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public PodMonitorSpec Spec { get; set; } = new();
}
