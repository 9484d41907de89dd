namespace QuotaSidecar.Core.Settlement;

/// <summary>How an exchange with the store ended.</summary>
internal enum ExchangeOutcome
{
    /// <summary>Applied; the local lease reflects the store's answer.</summary>
    Done,

    /// <summary>The store says the account does not exist.</summary>
    UnknownAccount,

    /// <summary>The store could not be reached; the exchange stays in flight and is resent unchanged.</summary>
    StoreUnavailable,
}
