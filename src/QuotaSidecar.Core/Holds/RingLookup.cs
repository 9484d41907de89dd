namespace QuotaSidecar.Core.Holds;

/// <summary>What <see cref="HoldRing.Find"/> found for an id.</summary>
internal readonly record struct RingLookup(RingLookupKind Kind, Hold? Open, FinishedHold Finished)
{
    /// <summary>Not an id this instance made (a client's own id, or another sidecar's).</summary>
    public static RingLookup NotOurs { get; } = new(RingLookupKind.NotOurs, null, default);

    /// <summary>Made here, but its record is no longer remembered (older than the ring reaches back).</summary>
    public static RingLookup Forgotten { get; } = new(RingLookupKind.Forgotten, null, default);

    public static RingLookup OpenHold(Hold hold) => new(RingLookupKind.Open, hold, default);

    public static RingLookup FinishedHold(FinishedHold record) => new(RingLookupKind.Finished, null, record);
}
