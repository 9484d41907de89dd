namespace QuotaSidecar.Configuration;

public sealed class HttpEndpointOptions
{
    /// <summary>IP address of the metrics and health endpoint (0.0.0.0 in a pod so probes reach it).</summary>
    /// <value>The default value is 127.0.0.1.</value>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port for <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>.</summary>
    /// <value>The default value is 9090.</value>
    public int Port { get; set; } = 9090;
}
