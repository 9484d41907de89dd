namespace QuotaSidecar.Core.Events;

/// <summary>What an event says happened to an account's balance (docs/design.md#balance-events).</summary>
public enum BalanceEventType
{
    /// <summary>The customer balance fell to or below the account's low-balance threshold (<c>balance.low</c>).</summary>
    BalanceLow = 1,

    /// <summary>The customer balance rose above the low-balance threshold again (<c>balance.recovered</c>).</summary>
    BalanceRecovered = 2,

    /// <summary>A HARD account's customer balance reached zero: it is denied until credits are granted
    /// (<c>balance.depleted</c>).</summary>
    BalanceDepleted = 3,

    /// <summary>The balance fell to or below the account's auto-recharge threshold and its policy allows a recharge
    /// now: the billing system should charge the customer and grant with the event's recharge id
    /// (<c>recharge.requested</c>).</summary>
    RechargeRequested = 4,

    /// <summary>The account went into debt: usage that no credits covered (<c>overage.started</c>).</summary>
    OverageStarted = 5,

    /// <summary>A SOFT account's debt reached its overage limit: it is denied until credits are granted
    /// (<c>overage.limit_reached</c>).</summary>
    OverageLimitReached = 6,

    /// <summary>A grant reached its <c>expires_at</c> with credits left centrally; the event's amount is what went
    /// unused (<c>grant.expired</c>).</summary>
    GrantExpired = 7,

    /// <summary>An active grant with credits left centrally will reach its <c>expires_at</c> within the lead time
    /// (<c>Quota:Events:GrantExpiringLead</c>); once per grant. The event's amount is its central remainder
    /// (<c>grant.expiring</c>).</summary>
    GrantExpiring = 8,
}
