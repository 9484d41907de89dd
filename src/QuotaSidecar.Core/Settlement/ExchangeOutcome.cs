namespace QuotaSidecar.Core.Settlement;

/// <summary>How an exchange with the store ended, as its waiter sees it.</summary>
internal enum ExchangeOutcome
{
    /// <summary>Applied; the local lease reflects the store's answer.</summary>
    Done,

    /// <summary>The store says the account does not exist.</summary>
    UnknownAccount,

    /// <summary>The store could not be reached, did not answer within the exchange timeout, or the breaker is open;
    /// the exchange stays in flight and is resent unchanged.</summary>
    StoreUnavailable,

    /// <summary>The waiter's budget ran out first (docs/design.md {#store-wait}); the exchange goes on in the
    /// background and its answer is applied when it comes.</summary>
    TimedOut,
}
