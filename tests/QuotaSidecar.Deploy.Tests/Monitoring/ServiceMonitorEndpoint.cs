using System.Text.Json.Serialization;

namespace QuotaSidecar.Deploy.Tests.Monitoring;

/// <summary>One entry of spec.endpoints of a ServiceMonitor: a named Service port and how to scrape it.</summary>
internal sealed class ServiceMonitorEndpoint
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
