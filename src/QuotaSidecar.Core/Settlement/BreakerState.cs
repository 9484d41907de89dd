namespace QuotaSidecar.Core.Settlement;

/// <summary>The store breaker's state (docs/design.md {#store-breaker}); the values are those of the
/// <c>quota.store.breaker.state</c> gauge.</summary>
public enum BreakerState
{
    /// <summary>The store answers: exchanges go out.</summary>
    Closed = 0,

    /// <summary>One trial call is out to see whether the store is back; other calls are answered at once.</summary>
    HalfOpen = 1,

    /// <summary>The store did not answer: no call goes out until the open period ends; requests are answered from
    /// what is local at once.</summary>
    Open = 2,
}
