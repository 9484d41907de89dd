using System.Globalization;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Settlement;
using QuotaSidecar.Redis;

namespace QuotaSidecar.Tracing;

/// <summary>
/// OpenTelemetry tracing of the sidecar (docs/deploy.md#tracing), configured by the standard <c>OTEL_*</c>
/// variables and off unless <see cref="TracingSwitch"/> says on. Spans: the server span of every gRPC call (Quota,
/// QuotaAdmin, Envoy ext_authz and rate limit; health and reflection are not traced), its parent taken from the
/// caller's <c>traceparent</c>; a <c>quota.exchange</c> span per store exchange a request waits on
/// (<see cref="ExchangeTracing"/>); a span per Redis command of a traced exchange.
/// </summary>
internal static class SidecarTracing
{
    /// <summary>The setting of <see cref="TracingOptions.BackgroundExchanges"/>.</summary>
    public const string BackgroundSetting = "Quota:Tracing:BackgroundExchanges";

    /// <summary>How long a Redis command's span may wait for its exchange's span to end before it is exported
    /// (the instrumentation polls its profiling sessions; its own default is 10 s).</summary>
    private static readonly TimeSpan RedisFlushInterval = TimeSpan.FromSeconds(1);

    /// <summary>Registers tracing when it is on; does nothing (no tracer provider, no listener) when it is off.</summary>
    /// <param name="builder">The host being built.</param>
    /// <param name="options">The sidecar's tracing choices as written (read before validation, like the listeners).</param>
    public static TracingSwitch AddQuotaTracing(this WebApplicationBuilder builder, TracingOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var state = TracingSwitch.Read(configuration);
        builder.Services.AddSingleton(state);
        if (!state.On)
        {
            return state;
        }

        var background = options.BackgroundExchanges;
        builder.Services.AddOpenTelemetry().WithTracing(tracing =>
        {
            tracing.ConfigureResource(r =>
                {
                    // OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) wins; without it, not "unknown_service".
                    if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"])
                        && !(configuration["OTEL_RESOURCE_ATTRIBUTES"] ?? "").Contains("service.name=", StringComparison.Ordinal))
                    {
                        r.AddService("quota-sidecar");
                    }
                })
                .AddAspNetCoreInstrumentation(o => o.Filter = IsTracedCall)
                .AddSource(ExchangeTracing.SourceName)
                .AddRedisInstrumentation(o =>
                {
                    // A command with no span around it (a background exchange not traced) would be a trace of its own.
                    o.Filter = command => command.ParentActivity is not null;
                    o.FlushInterval = RedisFlushInterval;
                })
                .ConfigureRedisInstrumentation((sp, redis) =>
                {
                    if (sp.GetRequiredService<ICentralLedger>() is RedisLedger ledger)
                    {
                        redis.AddConnection(ledger.Connection);
                    }
                })
                .AddOtlpExporter(o => ApplyTracesVariables(o, configuration));
            if (background)
            {
                tracing.AddSource(ExchangeTracing.BackgroundSourceName);
            }
        });
        return state;
    }

    /// <summary>Logs at start whether tracing is on, where it exports and how it samples.</summary>
    public static void LogTracing(IServiceProvider services)
    {
        var state = services.GetRequiredService<TracingSwitch>();
        var configuration = services.GetRequiredService<IConfiguration>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("QuotaSidecar.Tracing");
        if (!state.On)
        {
            TracingLog.Off(logger, state.Why);
            return;
        }

        var protocol = configuration["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] ?? "grpc";
        var sampler = configuration["OTEL_TRACES_SAMPLER"] is { Length: > 0 } s
            ? s + (configuration["OTEL_TRACES_SAMPLER_ARG"] is { Length: > 0 } arg ? $" ({arg})" : "")
            : "parentbased_always_on";
        var background = services.GetRequiredService<IOptions<QuotaOptions>>().Value.Tracing.BackgroundExchanges;
        TracingLog.On(logger, state.Endpoint, protocol, sampler, background ? "traced" : "not traced");
    }

    /// <summary>The gRPC calls of the APIs; not /metrics, /healthz, /readyz, gRPC health probes or reflection.</summary>
    internal static bool IsTracedCall(HttpContext context) =>
        context.Request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.Ordinal)
        && !context.Request.Path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.Ordinal)
        && !context.Request.Path.StartsWithSegments("/grpc.reflection.v1alpha.ServerReflection", StringComparison.Ordinal)
        && !context.Request.Path.StartsWithSegments("/grpc.reflection.v1.ServerReflection", StringComparison.Ordinal);

    /// <summary>
    /// The exporter of this SDK version reads the signal-specific <c>OTEL_EXPORTER_OTLP_TRACES_*</c> variables only
    /// under UseOtlpExporter (which would export logs and metrics too): they are applied here, over the generic ones,
    /// as the specification says. A signal-specific endpoint is used as it is (no /v1/traces appended).
    /// </summary>
    internal static void ApplyTracesVariables(OtlpExporterOptions options, IConfiguration configuration)
    {
        if (configuration["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"]?.Trim() is { Length: > 0 } protocol)
        {
            options.Protocol = protocol switch
            {
                "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
                "grpc" => OtlpExportProtocol.Grpc,
                _ => options.Protocol,
            };
        }

        if (configuration[TracingSwitch.TracesEndpointVariable]?.Trim() is { Length: > 0 } endpoint && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            options.Endpoint = uri;
        }

        if (configuration["OTEL_EXPORTER_OTLP_TRACES_HEADERS"]?.Trim() is { Length: > 0 } headers)
        {
            options.Headers = headers;
        }

        if (configuration["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"]?.Trim() is { Length: > 0 } timeout
            && int.TryParse(timeout, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            options.TimeoutMilliseconds = milliseconds;
        }
    }
}
