namespace QuotaSidecar.Core.Events;

/// <summary>
/// Which sidecar delivers which event's webhook (docs/design.md#webhooks): each event is taken by one consumer; one
/// that stays idle longer than the claim time (its sidecar died) is taken over by another, with the same id: at least
/// once, and from a fleet, once in the normal case.
/// </summary>
public interface IEventDeliveryQueue
{
    /// <summary>The most failed deliveries a store keeps; past it the oldest go (they stay in the event stream for the
    /// retention, and quota_webhooks_failed_total counted each).</summary>
    public const int MaxFailedKept = 10_000;

    /// <summary>Up to <paramref name="max"/> events for <paramref name="consumer"/>: new ones, events to redeliver, and
    /// events another consumer took and left idle longer than <paramref name="claimIdle"/>.</summary>
    Task<IReadOnlyList<EventDelivery>> TakeAsync(string consumer, int max, TimeSpan claimIdle, CancellationToken cancellationToken = default);

    /// <summary>Counts an attempt (returns the total over every consumer) and marks the event as being worked on by
    /// <paramref name="consumer"/>, so it is not taken over.</summary>
    Task<long> AttemptAsync(EventDelivery delivery, string consumer, CancellationToken cancellationToken = default);

    /// <summary>The receiver answered 2xx: the event is done.</summary>
    Task DeliveredAsync(EventDelivery delivery, CancellationToken cancellationToken = default);

    /// <summary>Out of attempts: the event moves to the failed list (at most <see cref="MaxFailedKept"/>, oldest dropped).</summary>
    Task FailedAsync(EventDelivery delivery, long attempts, string lastError, CancellationToken cancellationToken = default);

    /// <summary>The failed list, newest first.</summary>
    Task<IReadOnlyList<FailedDelivery>> ListFailedAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>Moves a failed event back to delivery (attempts start again); false when no failed event has that id.</summary>
    Task<bool> RedeliverAsync(string eventId, CancellationToken cancellationToken = default);
}
