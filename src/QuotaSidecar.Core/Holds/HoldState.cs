namespace QuotaSidecar.Core.Holds;

/// <summary>Where a hold is in its life. Open is the only non-final state after creation.</summary>
internal enum HoldState
{
    /// <summary>Credits are held.</summary>
    Open,

    /// <summary>Charged; the result is kept for idempotent retries.</summary>
    Committed,

    /// <summary>Given back by Release.</summary>
    Released,

    /// <summary>Ran out before Commit or Release; counts as released.</summary>
    Expired,

    /// <summary>A Reserve with a client-chosen id that was denied; kept so a retry gets the same answer.</summary>
    Denied,
}
