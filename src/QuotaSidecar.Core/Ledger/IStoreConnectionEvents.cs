namespace QuotaSidecar.Core.Ledger;

/// <summary>
/// Implemented by a ledger whose client learns on its own when its connection to the store drops and comes back
/// (the Redis ledger). The engine's breaker opens on a drop at once instead of waiting for a call to time out, and
/// tries the store as soon as the connection is back.
/// </summary>
public interface IStoreConnectionEvents
{
    /// <summary>The connection to the store failed; the argument says why.</summary>
    event Action<string>? ConnectionLost;

    /// <summary>The connection to the store is back.</summary>
    event Action? ConnectionRestored;
}
