namespace QuotaSidecar.Usage;

/// <summary>One exported usage event: the usage of one label set (null: the unlabelled rest) in one applied exchange.</summary>
/// <param name="Id">Stable and unique: <c>instance:account:sequence:set</c>, where set is a hash of the label set
/// (<c>-</c> for the unlabelled rest), so a POST retried with the same events is deduplicated by the receiver.</param>
/// <param name="AccountId">The account (the event's <c>subject</c>).</param>
/// <param name="LabelSet">The label set, canonical; null: usage without labels.</param>
/// <param name="Amount">Credits.</param>
/// <param name="Time">When the exchange was composed: the usage happened before.</param>
internal sealed record UsageEvent(string Id, string AccountId, string? LabelSet, long Amount, DateTimeOffset Time);
