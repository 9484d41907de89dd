using System.Text.Json.Serialization;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>spec.namespaceSelector of a ServiceMonitor.</summary>
internal sealed class ServiceMonitorNamespaceSelector
{
    [JsonPropertyName("any")]
    public bool? Any { get; set; }

    [JsonPropertyName("matchNames")]
    public List<string> MatchNames { get; set; } = [];
}
