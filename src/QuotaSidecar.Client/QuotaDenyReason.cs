namespace QuotaSidecar.Client;

/// <summary>Why the sidecar denied a request (the values of <c>quota.v1.DenyReason</c>).</summary>
public enum QuotaDenyReason
{
    /// <summary>Not denied.</summary>
    None = 0,

    /// <summary>The account's credits (and overage allowance) do not cover the amount.</summary>
    InsufficientCredits = 1,

    /// <summary>No account with that id exists.</summary>
    UnknownAccount = 2,

    /// <summary>The account is suspended.</summary>
    AccountSuspended = 3,

    /// <summary>No local lease covers the request and the central store cannot be reached (fail-closed).</summary>
    StoreUnavailable = 4,

    /// <summary>An account above this one in its tree cannot cover the amount (the result's denied account names it).</summary>
    AncestorInsufficientCredits = 5,
}
