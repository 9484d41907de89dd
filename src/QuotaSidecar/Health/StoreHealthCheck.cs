using Microsoft.Extensions.Diagnostics.HealthChecks;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Settlement;
using QuotaSidecar.Hosting;

namespace QuotaSidecar.Health;

/// <summary>Ready while the central store answers or leases are in hand (the hot path can still serve); not before
/// the seed accounts exist and an earlier instance's journal is replayed. The description names the store breaker's
/// state (docs/design.md {#store-breaker}).</summary>
internal sealed class StoreHealthCheck(QuotaEngine engine, Seeder seeder, JournalReplayService replay) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!seeder.Done ? HealthCheckResult.Unhealthy("starting: seed accounts not created yet")
            : !replay.Done ? HealthCheckResult.Unhealthy("starting: replaying the usage journal an earlier instance left")
            : engine.StoreAvailable
            ? HealthCheckResult.Healthy("central store reachable")
            : engine.ActiveAccounts > 0
                ? HealthCheckResult.Degraded($"central store unreachable (breaker {Describe(engine.StoreBreakerState)}); serving from leases")
                : HealthCheckResult.Unhealthy($"central store unreachable (breaker {Describe(engine.StoreBreakerState)}) and no leases in hand"));

    private static string Describe(BreakerState state) => state switch
    {
        BreakerState.HalfOpen => "half-open: trying the store",
        BreakerState.Open => "open",
        _ => "closed",
    };
}
