using System.Text.Json.Serialization;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>One entry of spec.podMetricsEndpoints of a PodMonitor: a named container port and how to scrape it.</summary>
internal sealed class PodMetricsEndpoint
{
    [JsonPropertyName("port")]
    public string? Port { get; set; }

    [JsonPropertyName("path")]
    public string? Path { get; set; }

    [JsonPropertyName("interval")]
    public string? Interval { get; set; }

    [JsonPropertyName("scrapeTimeout")]
    public string? ScrapeTimeout { get; set; }
}
