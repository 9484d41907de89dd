using System.Text.Json.Serialization;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>One rule group of a PrometheusRule.</summary>
internal sealed class PrometheusRuleGroup
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("rules")]
    public List<PrometheusAlertRule> Rules { get; set; } = [];
}
