using System.Text.Json.Serialization;
using k8s.Models;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>spec of a PodMonitor: which pods to scrape, in which namespaces, on which container ports.</summary>
internal sealed class PodMonitorSpec
{
    [JsonPropertyName("selector")]
    public V1LabelSelector Selector { get; set; } = new();

    [JsonPropertyName("namespaceSelector")]
    public ServiceMonitorNamespaceSelector? NamespaceSelector { get; set; }

    [JsonPropertyName("podMetricsEndpoints")]
    public List<PodMetricsEndpoint> PodMetricsEndpoints { get; set; } = [];
}
