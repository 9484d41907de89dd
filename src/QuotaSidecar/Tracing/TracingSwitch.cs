namespace QuotaSidecar.Tracing;

/// <summary>
/// Whether the sidecar traces, from the standard OpenTelemetry variables (docs/deploy.md#tracing). Off by default:
/// on only when an OTLP endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or
/// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> not empty), <c>OTEL_SDK_DISABLED</c> is not <c>true</c> and
/// <c>OTEL_TRACES_EXPORTER</c> is not <c>none</c>. Off, no tracer provider is built: no span is started anywhere.
/// </summary>
internal sealed record TracingSwitch(bool On, string Endpoint, string Why)
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string SdkDisabledVariable = "OTEL_SDK_DISABLED";
    public const string TracesExporterVariable = "OTEL_TRACES_EXPORTER";

    /// <summary>Reads the rule from configuration (environment variables are in it under their own names).</summary>
    public static TracingSwitch Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var endpoint = Value(configuration, TracesEndpointVariable) ?? Value(configuration, EndpointVariable);
        if (endpoint is null)
        {
            return new TracingSwitch(false, "", $"neither {EndpointVariable} nor {TracesEndpointVariable} is set");
        }

        if (string.Equals(Value(configuration, SdkDisabledVariable), "true", StringComparison.OrdinalIgnoreCase))
        {
            return new TracingSwitch(false, endpoint, $"{SdkDisabledVariable}=true");
        }

        if (string.Equals(Value(configuration, TracesExporterVariable), "none", StringComparison.OrdinalIgnoreCase))
        {
            return new TracingSwitch(false, endpoint, $"{TracesExporterVariable}=none");
        }

        return new TracingSwitch(true, endpoint, "");
    }

    private static string? Value(IConfiguration configuration, string key) =>
        configuration[key]?.Trim() is { Length: > 0 } value ? value : null;
}
