namespace QuotaSidecar.Core.Events;

/// <summary>An event taken for webhook delivery by one sidecar; <see cref="Handle"/> is the queue's own reference to
/// it (acknowledge or fail with it).</summary>
public sealed record EventDelivery(BalanceEvent Event, string Handle);
