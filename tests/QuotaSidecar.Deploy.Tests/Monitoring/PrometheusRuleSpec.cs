using System.Text.Json.Serialization;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>spec of a PrometheusRule: rule groups.</summary>
internal sealed class PrometheusRuleSpec
{
    [JsonPropertyName("groups")]
    public List<PrometheusRuleGroup> Groups { get; set; } = [];
}
