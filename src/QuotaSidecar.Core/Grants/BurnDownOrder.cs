namespace QuotaSidecar.Core.Grants;

/// <summary>
/// Which grant pays first (docs/design.md §2): priority ascending, then expires_at ascending (never-expiring
/// last), then PROMOTIONAL before PAID, then effective_at ascending, then grant_id (ordinal).
/// </summary>
public static class BurnDownOrder
{
    /// <summary>Negative when <paramref name="a"/> burns before <paramref name="b"/>.</summary>
    public static int Compare(
        int priorityA, DateTimeOffset? expiresA, GrantCategory categoryA, DateTimeOffset effectiveA, string idA,
        int priorityB, DateTimeOffset? expiresB, GrantCategory categoryB, DateTimeOffset effectiveB, string idB)
    {
        var c = priorityA.CompareTo(priorityB);
        if (c != 0)
        {
            return c;
        }

        c = (expiresA, expiresB) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            ({ } x, { } y) => x.CompareTo(y),
        };
        if (c != 0)
        {
            return c;
        }

        c = Rank(categoryA).CompareTo(Rank(categoryB));
        if (c != 0)
        {
            return c;
        }

        c = effectiveA.CompareTo(effectiveB);
        return c != 0 ? c : string.CompareOrdinal(idA, idB);
    }

    /// <summary>Orders grant snapshots by burn-down order.</summary>
    public static int Compare(Grant a, Grant b) => Compare(
        a.Priority, a.ExpiresAt, a.Category, a.EffectiveAt, a.GrantId,
        b.Priority, b.ExpiresAt, b.Category, b.EffectiveAt, b.GrantId);

    private static int Rank(GrantCategory category) => category == GrantCategory.Promotional ? 0 : 1;
}
