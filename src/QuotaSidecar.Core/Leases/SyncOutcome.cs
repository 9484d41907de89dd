namespace QuotaSidecar.Core.Leases;

/// <summary>How an exchange with the store ended.</summary>
internal enum SyncOutcome
{
    /// <summary>Applied; the local lease reflects the store's answer.</summary>
    Done,

    /// <summary>The store says the account does not exist.</summary>
    UnknownAccount,

    /// <summary>The store could not be reached; the exchange stays pending and is retried unchanged.</summary>
    StoreUnavailable,
}
