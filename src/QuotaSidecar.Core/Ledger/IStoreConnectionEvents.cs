namespace QuotaSidecar.Core.Ledger;

/// <summary>
/// Implemented by a ledger whose client learns on its own when its connection to the store drops and comes back
/// (the Redis ledger). The engine's breaker opens on a drop at once instead of waiting for a call to time out, and
/// tries the store as soon as the connection is back. Each event names the shard (<see cref="IStoreShards.ShardOf"/>)
/// whose connection it is, or null when the store is one failure domain.
/// </summary>
public interface IStoreConnectionEvents
{
    /// <summary>The connection to a shard (first argument; null: the store) failed; the second argument says why.</summary>
    event Action<string?, string>? ConnectionLost;

    /// <summary>The connection to a shard (null: the store) is back.</summary>
    event Action<string?>? ConnectionRestored;
}
