using Microsoft.Extensions.Diagnostics.HealthChecks;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Hosting;

namespace QuotaSidecar.Health;

/// <summary>Ready while the central store answers or leases are in hand (the hot path can still serve).</summary>
internal sealed class StoreHealthCheck(QuotaEngine engine, Seeder seeder) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!seeder.Done ? HealthCheckResult.Unhealthy("starting: seed accounts not created yet")
            : engine.StoreAvailable
            ? HealthCheckResult.Healthy("central store reachable")
            : engine.ActiveAccounts > 0
                ? HealthCheckResult.Degraded("central store unreachable; serving from leases")
                : HealthCheckResult.Unhealthy("central store unreachable and no leases in hand"));
}
