namespace QuotaSidecar.Core.Holds;

/// <summary>The kinds of <see cref="RingLookup"/>.</summary>
internal enum RingLookupKind
{
    NotOurs,
    Forgotten,
    Open,
    Finished,
}
