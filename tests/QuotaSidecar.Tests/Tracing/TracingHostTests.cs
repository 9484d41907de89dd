using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using QuotaSidecar.Tests.Infrastructure;
using QuotaSidecar.Tracing;

namespace QuotaSidecar.Tests.Tracing;

/// <summary>Off means not built: without an endpoint, or with the SDK disabled or the exporter none, the host has no
/// tracer provider at all (so no listener, and the exchange span costs a branch); with an endpoint it has one.</summary>
public sealed class TracingHostTests
{
    [Theory]
    [InlineData(null, null, null, false)]
    [InlineData("http://127.0.0.1:9", null, null, true)]
    [InlineData("http://127.0.0.1:9", "true", null, false)]
    [InlineData("http://127.0.0.1:9", null, "none", false)]
    public void A_tracer_provider_exists_only_when_tracing_is_on(string? endpoint, string? disabled, string? exporter, bool built)
    {
        using var factory = new SidecarFactory()
            .With("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .With("OTEL_SDK_DISABLED", disabled)
            .With("OTEL_TRACES_EXPORTER", exporter);

        var provider = factory.Services.GetService<TracerProvider>();

        Assert.Equal(built, provider is not null);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public void The_background_exchange_source_is_listened_to_only_when_asked(string? background, bool listened)
    {
        using var factory = new SidecarFactory().With("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9");
        if (background is not null)
        {
            factory.With(SidecarTracing.BackgroundSetting, background);
        }

        Assert.NotNull(factory.Services.GetService<TracerProvider>());
        using var request = new ActivitySource(QuotaSidecar.Core.Settlement.ExchangeTracing.SourceName);
        using var backgroundSource = new ActivitySource(QuotaSidecar.Core.Settlement.ExchangeTracing.BackgroundSourceName);
        Assert.True(request.HasListeners());
        Assert.Equal(listened, backgroundSource.HasListeners());
    }
}
