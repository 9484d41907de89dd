using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Usage;

/// <summary>Wires the usage export into the host when <c>Quota:Usage:Export:Endpoint</c> is set.</summary>
internal static class UsageExport
{
    /// <summary>Registers the exporter when <paramref name="export"/> (read before validation) is on. Hosted services
    /// stop in reverse order: call this before the engine's service is added, so the exporter stops after it.</summary>
    public static IServiceCollection AddUsageExport(this IServiceCollection services, UsageExportOptions export)
    {
        if (export.Enabled)
        {
            services.AddSingleton<UsageExporter>();
            services.AddHostedService(sp => sp.GetRequiredService<UsageExporter>());
        }

        return services;
    }

    /// <summary>The engine's usage sink: the exporter, or null when the export is off (no call per exchange at all).</summary>
    public static IUsageSink? Sink(IServiceProvider services) => services.GetService<UsageExporter>();
}
