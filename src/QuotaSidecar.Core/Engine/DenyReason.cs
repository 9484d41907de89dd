namespace QuotaSidecar.Core.Engine;

/// <summary>Why a request was denied. Values match <c>quota.v1.DenyReason</c>.</summary>
public enum DenyReason
{
    /// <summary>Not denied.</summary>
    None = 0,

    /// <summary>The account's credits (and overage allowance) do not cover the amount.</summary>
    InsufficientCredits = 1,

    /// <summary>No account with that id exists.</summary>
    UnknownAccount = 2,

    /// <summary>The account is suspended.</summary>
    AccountSuspended = 3,

    /// <summary>No local lease covers the request and the central store cannot be reached.</summary>
    StoreUnavailable = 4,

    /// <summary>An ancestor of the account in its tree cannot cover the amount (the result's DeniedAccountId names it).</summary>
    AncestorInsufficientCredits = 5,
}
