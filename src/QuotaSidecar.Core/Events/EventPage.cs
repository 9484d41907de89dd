namespace QuotaSidecar.Core.Events;

/// <summary>A page of events, oldest first. <see cref="Next"/> is the cursor to continue after (the last position
/// looked at, which may be past the last event returned when a filter skipped some); empty when nothing was
/// looked at.</summary>
public sealed record EventPage(IReadOnlyList<BalanceEvent> Events, string Next);
