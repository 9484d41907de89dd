namespace QuotaSidecar.Configuration;

/// <summary>Which central ledger the sidecar uses.</summary>
public enum StoreKind
{
    /// <summary>In-process; nothing else needed (the default).</summary>
    Embedded,

    /// <summary>A Redis server or cluster shared by every sidecar.</summary>
    Redis,
}
