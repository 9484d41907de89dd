using Microsoft.Extensions.Configuration;
using QuotaSidecar.Tracing;

namespace QuotaSidecar.Tests.Tracing;

/// <summary>The rule that turns tracing on (docs/deploy.md#tracing), case by case.</summary>
public sealed class TracingSwitchTests
{
    public static TheoryData<string?, string?, string?, string?, bool> Cases => new()
    {
        // endpoint, traces endpoint, OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER, on
        { null, null, null, null, false },
        { "", "  ", null, null, false },
        { "http://collector:4318", null, null, null, true },
        { null, "http://collector:4318/v1/traces", null, null, true },
        { "http://collector:4317", null, "true", null, false },
        { "http://collector:4317", null, "TRUE", null, false },
        { "http://collector:4317", null, "false", null, true },
        { "http://collector:4317", null, null, "none", false },
        { "http://collector:4317", null, null, "otlp", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tracing_is_on_only_with_an_endpoint_and_neither_the_SDK_disabled_nor_the_exporter_none(
        string? endpoint, string? tracesEndpoint, string? disabled, string? exporter, bool on)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TracingSwitch.EndpointVariable] = endpoint,
            [TracingSwitch.TracesEndpointVariable] = tracesEndpoint,
            [TracingSwitch.SdkDisabledVariable] = disabled,
            [TracingSwitch.TracesExporterVariable] = exporter,
        }).Build();

        var state = TracingSwitch.Read(configuration);

        Assert.Equal(on, state.On);
        Assert.Equal(on, state.Why.Length == 0);
    }

    [Fact]
    public void The_traces_variables_override_the_generic_ones_for_the_exporter()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://traces:4318/custom/path",
            ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] = "x-tenant=a",
            ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] = "2500",
        }).Build();
        var options = new OpenTelemetry.Exporter.OtlpExporterOptions();

        SidecarTracing.ApplyTracesVariables(options, configuration);

        Assert.Equal(new Uri("http://traces:4318/custom/path"), options.Endpoint);
        Assert.Equal(OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf, options.Protocol);
        Assert.Equal("x-tenant=a", options.Headers);
        Assert.Equal(2500, options.TimeoutMilliseconds);
    }
}
