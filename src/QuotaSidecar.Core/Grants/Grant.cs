namespace QuotaSidecar.Core.Grants;

/// <summary>A grant as the ledger reports it.</summary>
/// <param name="Remaining">Credits of this grant still available centrally (not leased, used, expired or voided).</param>
/// <param name="PeriodIndex">For a recurring grant, the index of the current period (0 = the first).</param>
public sealed record Grant(
    string GrantId,
    string AccountId,
    long Amount,
    long Remaining,
    int Priority,
    GrantCategory Category,
    DateTimeOffset EffectiveAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? VoidedAt,
    Recurrence? Recurrence,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset CreatedAt,
    long PeriodIndex = 0)
{
    /// <summary>Whether the grant's credits may be spent at <paramref name="now"/>.</summary>
    public bool IsActiveAt(DateTimeOffset now) =>
        VoidedAt is null && EffectiveAt <= now && (ExpiresAt is null || now < ExpiresAt);
}
