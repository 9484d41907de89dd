namespace QuotaSidecar.Core.Engine;

/// <summary>The snake_case token of each <see cref="DenyReason"/>, as metric labels and the Envoy reason header show it:
/// one list for both.</summary>
public static class DenyReasonTokens
{
    /// <summary>The reason's token; null for a value this build does not know.</summary>
    public static string? Of(DenyReason reason) => reason switch
    {
        DenyReason.None => "none",
        DenyReason.InsufficientCredits => "insufficient_credits",
        DenyReason.UnknownAccount => "unknown_account",
        DenyReason.AccountSuspended => "account_suspended",
        DenyReason.StoreUnavailable => "store_unavailable",
        DenyReason.AncestorInsufficientCredits => "ancestor_insufficient_credits",
        _ => null,
    };
}
