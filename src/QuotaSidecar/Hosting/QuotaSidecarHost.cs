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
using QuotaSidecar.Grpc;
using QuotaSidecar.Health;
using QuotaSidecar.Metrics;
using QuotaSidecar.Redis;

namespace QuotaSidecar.Hosting;

/// <summary>How the sidecar is put together: services and options, listeners, endpoints.</summary>
public static class QuotaSidecarHost
{
    /// <summary>Registers the engine, the ledger, the gRPC services, health, metrics and the Kestrel listeners.</summary>
    public static WebApplicationBuilder AddQuotaSidecar(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<QuotaOptions>().BindConfiguration(QuotaOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<QuotaOptions>, QuotaOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.Configure<HostOptions>(o =>
        {
            var grace = builder.Configuration.GetValue<TimeSpan?>("Quota:Shutdown:GracePeriod") ?? TimeSpan.FromSeconds(10);
            o.ShutdownTimeout = grace + TimeSpan.FromSeconds(5);
        });

        services.AddSingleton(sp => new EngineMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<HostMetrics>();
        services.AddSingleton(sp => LedgerOptions(sp.GetRequiredService<IOptions<QuotaOptions>>().Value));
        services.AddSingleton<ICentralLedger>(CreateLedger);
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<QuotaOptions>>().Value;
            return new QuotaEngine(
                sp.GetRequiredService<ICentralLedger>(),
                EngineOptions(o),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<EngineMetrics>(),
                sp.GetRequiredService<ILogger<QuotaEngine>>());
        });
        services.AddSingleton<Seeder>();
        services.AddHostedService(sp => sp.GetRequiredService<Seeder>());
        services.AddHostedService<EngineService>();

        services.AddSingleton<AdminAuthorization>();
        services.AddSingleton<AccountAllowList>();
        services.AddRequestLimits(builder.Configuration.GetSection("Quota:Limits").Get<LimitOptions>() ?? new LimitOptions());
        services.AddGrpc(o =>
        {
            o.Interceptors.Add<ErrorMappingInterceptor>();
            o.MaxReceiveMessageSize = builder.Configuration.GetValue<int?>("Quota:Grpc:MaxReceiveMessageSize") ?? 64 * 1024;
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
            .AddMeter(EngineMetrics.MeterName, "QuotaSidecar.Redis")
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)); // every scrape is current

        builder.WebHost.ConfigureKestrel((context, kestrel) => Listen(context.Configuration, kestrel));
        builder.AddEnvoyApis();
        return builder;
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
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.Lifetime.ApplicationStarted.Register(() => Announce(app));
        return app;
    }

    internal static EngineOptions EngineOptions(QuotaOptions o) => new()
    {
        InstanceId = $"{o.InstanceName}-{Guid.NewGuid().ToString("N")[..8]}",
        DefaultHoldTtl = o.Holds.DefaultTtl,
        MaxHoldTtl = o.Holds.MaxTtl,
        SettleInterval = o.Settle.Interval,
        RefillHorizon = o.Leases.RefillHorizon,
        MinLease = o.Leases.Min,
        MaxLease = o.Leases.Max,
        IdleReturnAfter = o.Leases.IdleReturnAfter,
        LeaseRenewInterval = o.Leases.Ttl / 3,
        ReclaimWait = o.Settle.Interval * 2.5,
        FailOpenAllowance = o.FailOpenAllowance,
        EvictIdleAfter = o.Limits.EvictIdleAccountsAfter,
    };

    internal static CentralLedgerOptions LedgerOptions(QuotaOptions o) => new()
    {
        LeaseTtl = o.Leases.Ttl,
        MaxLeaseShare = o.Leases.MaxShare,
        ReclaimWindow = o.Settle.Interval * 8,
        MaxLedgerEntries = o.Redis.MaxLedgerEntries,
    };

    private static ICentralLedger CreateLedger(IServiceProvider sp)
    {
        var o = sp.GetRequiredService<IOptions<QuotaOptions>>().Value;
        return o.Store switch
        {
            StoreKind.Embedded => new EmbeddedLedger(sp.GetRequiredService<CentralLedgerOptions>(), sp.GetRequiredService<TimeProvider>()),
            StoreKind.Redis => RedisLedger.Connect(
                new RedisLedgerOptions
                {
                    ConnectionString = o.Redis.ConnectionString!,
                    KeyPrefix = o.Redis.KeyPrefix,
                    TlsCaFile = o.Redis.TlsCaFile,
                    TlsCertFile = o.Redis.TlsCertFile,
                    TlsKeyFile = o.Redis.TlsKeyFile,
                    Central = sp.GetRequiredService<CentralLedgerOptions>(),
                },
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            _ => throw new InvalidOperationException($"Quota:Store {o.Store} is not supported"),
        };
    }

    private static void Listen(IConfiguration configuration, KestrelServerOptions kestrel)
    {
        // Invalid values are reported by the options validator at start; here they are only skipped.
        var o = configuration.GetSection(QuotaOptions.Section).Get<QuotaOptions>() ?? new QuotaOptions();
        kestrel.AddServerHeader = false;
        kestrel.Limits.Http2.MaxStreamsPerConnection = o.Limits.MaxStreamsPerConnection is > 0 and <= 10_000 ? o.Limits.MaxStreamsPerConnection : 256;
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
