namespace QuotaSidecar.Core.Events;

/// <summary>An event whose webhook failed <see cref="Attempts"/> times: kept until redelivered.</summary>
/// <param name="Event">The event (same id as in every attempt).</param>
/// <param name="Attempts">Attempts made.</param>
/// <param name="LastError">Why the last attempt failed (status code or error; never the secret).</param>
/// <param name="FailedAt">When it was moved to the failed list.</param>
public sealed record FailedDelivery(BalanceEvent Event, long Attempts, string LastError, DateTimeOffset FailedAt);
