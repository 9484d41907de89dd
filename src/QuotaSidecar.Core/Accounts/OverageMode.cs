namespace QuotaSidecar.Core.Accounts;

/// <summary>What happens when an account's credits run out.</summary>
public enum OverageMode
{
    /// <summary>No credits, no service.</summary>
    Hard = 1,

    /// <summary>Usage may continue up to <see cref="AccountPolicy.OverageLimit"/> beyond the credits, recorded as debt.</summary>
    Soft = 2,

    /// <summary>Never refuses: usage no credits cover is recorded as overage without a limit. For tree nodes that only
    /// count what their children spend (docs/design.md#account-tree).</summary>
    Track = 3,
}
