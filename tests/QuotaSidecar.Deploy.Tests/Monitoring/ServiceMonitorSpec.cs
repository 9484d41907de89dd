using System.Text.Json.Serialization;
using k8s.Models;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>spec of a ServiceMonitor: which Services to scrape, in which namespaces, on which ports.</summary>
internal sealed class ServiceMonitorSpec
{
    [JsonPropertyName("selector")]
    public V1LabelSelector Selector { get; set; } = new();

    [JsonPropertyName("namespaceSelector")]
    public ServiceMonitorNamespaceSelector? NamespaceSelector { get; set; }

    [JsonPropertyName("endpoints")]
    public List<ServiceMonitorEndpoint> Endpoints { get; set; } = [];
}
