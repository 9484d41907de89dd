namespace QuotaSidecar.Core.Ledger;

/// <summary>
/// Implemented by a ledger whose store is made of independent failure domains ("shards": the primaries of a Redis
/// Cluster). The engine keeps one breaker per shard (docs/design.md {#store-breaker}), so a shard that fails only
/// affects the accounts it serves. Asked on the slow path only (when an exchange goes out), never on the hot path.
/// </summary>
public interface IStoreShards
{
    /// <summary>
    /// The shard serving <paramref name="accountId"/> now (e.g. the endpoint of the primary serving its hash slot),
    /// or null when the store is one failure domain (a single server) or the shard is not known. Must be cheap (no
    /// I/O) and the same string <see cref="IStoreConnectionEvents"/> gives for that shard.
    /// </summary>
    string? ShardOf(string accountId);

    /// <summary>
    /// Starts, in the background, learning which shard serves what now (after a failover the accounts of a failed
    /// shard are served by another, which <see cref="ShardOf"/> must then say). Called by the settle pass while some
    /// shard's breaker is open; returns at once, may skip a refresh made less than a second ago, never throws.
    /// </summary>
    void RefreshShards();
}
