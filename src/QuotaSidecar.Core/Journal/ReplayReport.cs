namespace QuotaSidecar.Core.Journal;

/// <summary>What a replay of earlier instances' journals did (docs/design.md, journal replay).</summary>
/// <param name="Instances">Earlier instances whose journals were replayed.</param>
/// <param name="Segments">Segment files read.</param>
/// <param name="Records">Records read.</param>
/// <param name="Accounts">(instance, account) pairs replayed.</param>
/// <param name="Exchanges">Exchanges sent: unacknowledged ones resent, and one per account reporting the usage after
/// them and returning the lease.</param>
/// <param name="ResentCredits">Usage carried by resent exchanges (the store applies each at most once: it may have
/// applied it before the crash).</param>
/// <param name="ReplayedCredits">Usage no exchange had carried, now reported.</param>
/// <param name="LostCredits">Usage that could not be billed (reported loudly): composed longer ago than the store's
/// instance horizon, an account that no longer exists, or recorded in a corrupt stretch of a journal.</param>
/// <param name="TornRecords">Torn last records dropped.</param>
/// <param name="CorruptSegments">Segments moved aside as corrupt.</param>
public sealed record ReplayReport(
    int Instances,
    int Segments,
    int Records,
    int Accounts,
    int Exchanges,
    long ResentCredits,
    long ReplayedCredits,
    long LostCredits,
    int TornRecords,
    int CorruptSegments)
{
    /// <summary>Nothing to replay.</summary>
    public static ReplayReport Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public ReplayReport Add(ReplayReport other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(
            Instances + other.Instances, Segments + other.Segments, Records + other.Records, Accounts + other.Accounts,
            Exchanges + other.Exchanges, ResentCredits + other.ResentCredits, ReplayedCredits + other.ReplayedCredits,
            LostCredits + other.LostCredits, TornRecords + other.TornRecords, CorruptSegments + other.CorruptSegments);
    }
}
