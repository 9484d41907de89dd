using QuotaSidecar.Core.Grants;

namespace QuotaSidecar.Core.Ledger.Embedded;

/// <summary>A grant's mutable central state inside <see cref="AccountBook"/>.</summary>
internal sealed class GrantRecord(GrantSpec spec, DateTimeOffset effectiveAt, DateTimeOffset createdAt)
{
    public GrantSpec Spec { get; } = spec;

    public string Id => Spec.GrantId;

    public DateTimeOffset EffectiveAt { get; } = effectiveAt;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public long Remaining { get; set; }

    /// <summary>The grant has taken effect (counted in Granted).</summary>
    public bool Activated { get; set; }

    /// <summary>The grant reached its expiry and its remainder was moved to Expired.</summary>
    public bool Closed { get; set; }

    public DateTimeOffset? VoidedAt { get; set; }

    /// <summary>For a recurring grant, the index of the current period.</summary>
    public long PeriodIndex { get; set; }

    /// <summary>For a recurring grant, the credits carried into the current period so far (at most its rollover
    /// maximum): at the boundary, and from credits of an ended period that came back from a lease after it.</summary>
    public long Carried { get; set; }

    public bool IsActive => Activated && !Closed && VoidedAt is null;

    public Grant ToGrant() => new(
        Id, Spec.AccountId, Spec.Amount, Remaining, Spec.Priority, Spec.Category, EffectiveAt, Spec.ExpiresAt,
        VoidedAt, Spec.Recurrence, Spec.Metadata ?? EmptyMetadata, CreatedAt, PeriodIndex);

    public static int Compare(GrantRecord a, GrantRecord b) => BurnDownOrder.Compare(
        a.Spec.Priority, a.Spec.ExpiresAt, a.Spec.Category, a.EffectiveAt, a.Id,
        b.Spec.Priority, b.Spec.ExpiresAt, b.Spec.Category, b.EffectiveAt, b.Id);

    private static readonly IReadOnlyDictionary<string, string> EmptyMetadata = new Dictionary<string, string>();
}
