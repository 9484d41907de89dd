using System.Text.Json.Serialization;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>One alerting rule of a rule group (the chart has no recording rules).</summary>
internal sealed class PrometheusAlertRule
{
    [JsonPropertyName("alert")]
    public string Alert { get; set; } = "";

    [JsonPropertyName("expr")]
    public string Expr { get; set; } = "";

    [JsonPropertyName("for")]
    public string? For { get; set; }

    [JsonPropertyName("labels")]
    public Dictionary<string, string> Labels { get; set; } = [];

    [JsonPropertyName("annotations")]
    public Dictionary<string, string> Annotations { get; set; } = [];
}
