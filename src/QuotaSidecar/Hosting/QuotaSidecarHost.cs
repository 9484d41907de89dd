using System.Net;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;
using QuotaSidecar.Envoy;
using QuotaSidecar.Events;
using QuotaSidecar.Grpc;
using QuotaSidecar.Health;
using QuotaSidecar.Metrics;
using QuotaSidecar.Redis;
using QuotaSidecar.Tracing;
using QuotaSidecar.Usage;

namespace QuotaSidecar.Hosting;

/// <summary>How the sidecar is put together: services and options, listeners, endpoints.</summary>
public static class QuotaSidecarHost
{
    /// <summary>Registers the engine, the ledger, the gRPC services, health, metrics and the Kestrel listeners.</summary>
    public static WebApplicationBuilder AddQuotaSidecar(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        AddSettingsFile(builder.Configuration);
        // Bound once into the layers' own options (see QuotaOptions), validated at start with messages naming the
        // setting, then completed with the instance id and the derived timings.
        services.AddOptionsWithValidateOnStart<QuotaOptions, QuotaOptionsValidator>()
            .BindConfiguration(QuotaOptions.Section)
            .PostConfigure(o => o.DeriveLayerSettings());

        // The listeners, the gRPC message size, the shutdown timeout and the request limits are wired before the
        // host starts, so before the validator runs: they read the section unvalidated, and skip what is invalid
        // (the validator then stops the start and says why).
        var startup = ReadBeforeValidation(builder.Configuration);
        services.AddSingleton(TimeProvider.System);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = startup.Shutdown.GracePeriod + TimeSpan.FromSeconds(5));

        services.AddSingleton(sp => new EngineMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<HostMetrics>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<QuotaOptions>>().Value.CentralLedgerOptions);
        services.AddSingleton<ICentralLedger>(CreateLedger);
        services.AddSingleton<JournalHandle>();
        services.AddSingleton(sp => new QuotaEngine(
            sp.GetRequiredService<ICentralLedger>(),
            sp.GetRequiredService<IOptions<QuotaOptions>>().Value.EngineOptions,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<EngineMetrics>(),
            sp.GetRequiredService<ILogger<QuotaEngine>>(),
            sp.GetRequiredService<JournalHandle>().Journal,
            UsageExport.Sink(sp)));
        services.AddSingleton<Seeder>();
        services.AddHostedService(sp => sp.GetRequiredService<Seeder>());
        services.AddSingleton<JournalReplayService>();
        services.AddHostedService(sp => sp.GetRequiredService<JournalReplayService>());
        services.AddUsageExport(startup.Usage.Export); // before the engine's service: it stops after it, to send the last usage
        services.AddHostedService<EngineService>();
        services.AddBalanceEvents();

        services.AddSingleton<AdminAuthorization>();
        services.AddSingleton<SettingsMetrics>();
        services.AddSingleton<SettingsReload>();
        services.AddHostedService(sp => sp.GetRequiredService<SettingsReload>());
        services.AddSingleton<AccountAllowList>();
        services.AddSingleton<ShadowMode>();
        services.AddRequestLimits(startup.Limits, startup.Grpc.MaxReceiveMessageSize);
        services.AddGrpc(o =>
        {
            o.Interceptors.Add<ErrorMappingInterceptor>();
            o.MaxReceiveMessageSize = startup.Grpc.MaxReceiveMessageSize;
            o.EnableDetailedErrors = false;
        });
        // Bind every service through the strict provider instead of grpc-dotnet's own (malformed payloads are
        // INVALID_ARGUMENT, not UNKNOWN).
        services.RemoveAll(typeof(IServiceMethodProvider<>));
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(StrictServiceMethodProvider<>)));
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy(), ["live"])
            .AddCheck<StoreHealthCheck>("store", tags: ["ready"]);
        services.AddOpenTelemetry().WithMetrics(m => m
            // System.Runtime: the runtime's own meter (working set, GC heap, CPU), read only when scraped; the
            // dashboard's memory panels and the memory alert use it where cAdvisor is absent.
            .AddMeter(EngineMetrics.MeterName, "QuotaSidecar.Redis", "System.Runtime")
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)); // every scrape is current

        // Tracing: off (nothing registered) unless an OTLP endpoint is configured (Tracing/TracingSwitch).
        builder.AddQuotaTracing(startup.Tracing);

        builder.WebHost.ConfigureKestrel(kestrel => Listen(startup, kestrel));
        builder.AddEnvoyApis();
        return builder;
    }

    /// <summary>"Healthy", or the status and why (e.g. "Degraded: store: central store unreachable (breaker open);
    /// serving from leases"): an operator reading /readyz learns the store breaker's state without the logs.</summary>
    private static Task WriteReadiness(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var text = report.Status == HealthStatus.Healthy
            ? "Healthy"
            : $"{report.Status}: " + string.Join("; ", report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description}"));
        return context.Response.WriteAsync(text);
    }

    /// <summary>Maps the gRPC services, reflection, health and metrics endpoints.</summary>
    public static WebApplication MapQuotaSidecar(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseOpenTelemetryPrometheusScrapingEndpoint("/metrics");
        app.UseRateLimiter();
        app.MapGrpcService<QuotaService>();
        app.MapGrpcService<QuotaAdminService>();
        app.MapEnvoyApis();
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live") });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteReadiness });
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Announce(app);
            SidecarTracing.LogTracing(app.Services);
        });
        return app;
    }

    /// <summary>The <c>Quota</c> section as written, before validation (an unconvertible value gives the defaults).</summary>
    internal static QuotaOptions ReadBeforeValidation(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(QuotaOptions.Section).Get<QuotaOptions>() ?? new QuotaOptions();
        }
        catch (InvalidOperationException)
        {
            // A value that does not convert (Port=abc): the options binding reports it when the host starts.
            return new QuotaOptions();
        }
    }

    /// <summary>The live settings file (Quota:SettingsFile), last so that it overrides every other source; it must exist
    /// and be JSON now (a <see cref="StartupException"/> otherwise). An invalid poll interval is replaced by the default
    /// here, and reported by the validator.</summary>
    private static void AddSettingsFile(ConfigurationManager configuration)
    {
        if (configuration[SettingsFileProvider.FileSetting] is not { Length: > 0 } file)
        {
            return;
        }

        var interval = ReadBeforeValidation(configuration).SettingsPollInterval;
        if (interval < TimeSpan.FromMilliseconds(100) || interval > TimeSpan.FromMinutes(10))
        {
            interval = new QuotaOptions().SettingsPollInterval;
        }

        ((IConfigurationBuilder)configuration).Add(new SettingsFileSource(file, interval, TimeProvider.System));
    }

    private static ICentralLedger CreateLedger(IServiceProvider sp)
    {
        var o = sp.GetRequiredService<IOptions<QuotaOptions>>().Value;
        return o.Store switch
        {
            StoreKind.Embedded => new EmbeddedLedger(
                sp.GetRequiredService<CentralLedgerOptions>(), sp.GetRequiredService<TimeProvider>(), o.Events),
            StoreKind.Redis => ConnectRedis(sp, o),
            _ => throw new InvalidOperationException($"Quota:Store {o.Store} is not supported"),
        };
    }

    private static RedisLedger ConnectRedis(IServiceProvider sp, QuotaOptions o)
    {
        try
        {
            return RedisLedger.Connect(o.RedisLedgerOptions, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            var files = new[] { ("TlsCaFile", o.Redis.TlsCaFile), ("TlsCertFile", o.Redis.TlsCertFile), ("TlsKeyFile", o.Redis.TlsKeyFile) }
                .Where(f => !string.IsNullOrEmpty(f.Item2)).Select(f => $"Quota:Redis:{f.Item1} '{f.Item2}'");
            throw new StartupException(
                $"{string.Join(", ", files)} could not be loaded ({e.Message.TrimEnd('.')}): each must be a readable PEM file, the key matching the certificate", e);
        }
    }

    private static void Listen(QuotaOptions o, KestrelServerOptions kestrel)
    {
        // Invalid values are reported by the options validator at start; here they are only skipped.
        kestrel.AddServerHeader = false;
        if (o.Limits.MaxStreamsPerConnection is > 0 and <= 10_000)
        {
            kestrel.Limits.Http2.MaxStreamsPerConnection = o.Limits.MaxStreamsPerConnection;
        }

        if (o.Grpc.Port is > 0 and <= 65535 && IPAddress.TryParse(o.Grpc.Host, out var grpcAddress))
        {
            kestrel.Listen(grpcAddress, o.Grpc.Port, l => l.Protocols = HttpProtocols.Http2);
        }

        if (o.Grpc.UnixSocket is { Length: > 0 } socket && Path.IsPathRooted(socket))
        {
            if (File.Exists(socket))
            {
                File.Delete(socket); // stale from a previous run: binding would fail
            }

            kestrel.ListenUnixSocket(socket, l => l.Protocols = HttpProtocols.Http2);
        }

        AdminMtls.Listen(kestrel, o);
        if (o.Http.Port is > 0 and <= 65535 && IPAddress.TryParse(o.Http.Host, out var httpAddress))
        {
            kestrel.Listen(httpAddress, o.Http.Port, l => l.Protocols = HttpProtocols.Http1);
        }
    }

    private static void Announce(WebApplication app)
    {
        var o = app.Services.GetRequiredService<IOptions<QuotaOptions>>().Value;
        var engine = app.Services.GetRequiredService<QuotaEngine>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("QuotaSidecar");
        var endpoints = new List<string>();
        if (o.Grpc.Port > 0)
        {
            endpoints.Add($"http://{o.Grpc.Host}:{o.Grpc.Port}");
            if (IPAddress.TryParse(o.Grpc.Host, out var address) && !IPAddress.IsLoopback(address))
            {
                HostLog.NotLoopback(logger, o.Grpc.Host);
            }
        }

        if (o.Grpc.UnixSocket is { Length: > 0 } socket)
        {
            endpoints.Add($"unix:{socket}");
            if (File.Exists(socket) && !OperatingSystem.IsWindows())
            {
                // The app beside us runs as another user of the same group in some pods.
                File.SetUnixFileMode(socket, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            }
        }

        var admin = o.Admin.MtlsEnabled ? $" (and quota.v1.QuotaAdmin over mTLS on port {o.Admin.MtlsPort} only)"
            : string.IsNullOrEmpty(o.Admin.Token) ? "" : " and quota.v1.QuotaAdmin";
        if (admin.Length == 0)
        {
            HostLog.AdminDisabled(logger);
        }

        HostLog.Serving(logger, engine.InstanceId, admin, string.Join(", ", endpoints), o.Http.Host, o.Http.Port, o.Store.ToString());
    }
}
