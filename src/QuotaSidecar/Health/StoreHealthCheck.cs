using Microsoft.Extensions.Diagnostics.HealthChecks;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Settlement;
using QuotaSidecar.Hosting;

namespace QuotaSidecar.Health;

/// <summary>Ready while the central store answers or leases are in hand (the hot path can still serve); not before
/// the seed accounts exist and an earlier instance's journal is replayed. The description names the worst store
/// breaker's state and the shards whose breaker is not closed (docs/design.md {#store-breaker}): one shard of a Redis
/// Cluster down counts as the store unreachable here, as the whole store down does (the accounts on it are answered
/// from leases only).</summary>
internal sealed class StoreHealthCheck(QuotaEngine engine, Seeder seeder, JournalReplayService replay) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!seeder.Done ? HealthCheckResult.Unhealthy("starting: seed accounts not created yet")
            : !replay.Done ? HealthCheckResult.Unhealthy("starting: replaying the usage journal an earlier instance left")
            : engine.StoreAvailable
            ? HealthCheckResult.Healthy("central store reachable")
            : engine.ActiveAccounts > 0
                ? HealthCheckResult.Degraded($"central store unreachable (breaker {Describe(engine.StoreBreakerState)}{Shards(engine)}); serving from leases")
                : HealthCheckResult.Unhealthy($"central store unreachable (breaker {Describe(engine.StoreBreakerState)}{Shards(engine)}) and no leases in hand"));

    // A store of one shard reads as before ("breaker open"); a cluster's open shards are named.
    private static string Shards(QuotaEngine engine)
    {
        var shards = engine.UnavailableShards.Where(s => s != "whole store").ToList();
        return shards.Count == 0 ? "" : "; not closed: " + string.Join(", ", shards);
    }

    private static string Describe(BreakerState state) => state switch
    {
        BreakerState.HalfOpen => "half-open: trying the store",
        BreakerState.Open => "open",
        _ => "closed",
    };
}
