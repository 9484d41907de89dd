namespace QuotaSidecar.Core.Events;

/// <summary>
/// The global, ordered stream of balance events of every account (docs/design.md#balance-events), kept for
/// <see cref="EventOptions.Retention"/>. Two implementations with the same cursors and ids: in process (with the
/// embedded ledger) and a Redis stream.
/// </summary>
public interface IEventLog
{
    /// <summary>Events after <paramref name="after"/> (empty: from the oldest kept), oldest first. At most
    /// <paramref name="limit"/> (1..1000) events; with <paramref name="accountId"/> only that account's, looking at no
    /// more than <see cref="EventOptions.MaxScan"/> events per call (continue from <see cref="EventPage.Next"/>).</summary>
    ValueTask<EventPage> ListAsync(string? after, int limit, string? accountId, CancellationToken cancellationToken = default);

    /// <summary>Every event after <paramref name="after"/> (empty: from the oldest kept), then each new one as it is
    /// appended, until cancelled. Resuming with the last event's cursor misses none and repeats none.</summary>
    IAsyncEnumerable<BalanceEvent> WatchAsync(string? after, CancellationToken cancellationToken = default);
}
