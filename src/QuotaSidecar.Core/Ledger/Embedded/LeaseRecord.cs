namespace QuotaSidecar.Core.Ledger.Embedded;

/// <summary>One instance's lease on one account: per-grant slices of credits plus an overage allowance.</summary>
internal sealed class LeaseRecord
{
    /// <summary>Credits drawn from each grant, by grant.</summary>
    public Dictionary<GrantRecord, long> Slices { get; } = new(ReferenceEqualityComparer.Instance);

    public long Overage { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public long Credits
    {
        get
        {
            long sum = 0;
            foreach (var amount in Slices.Values)
            {
                sum += amount;
            }

            return sum;
        }
    }

    public bool IsEmpty => Overage == 0 && Credits == 0;

    /// <summary>Takes credits off a grant's slice; an emptied slice goes.</summary>
    public void TakeFrom(GrantRecord grant, long amount)
    {
        var left = Slices[grant] - amount;
        if (left == 0)
        {
            Slices.Remove(grant);
        }
        else
        {
            Slices[grant] = left;
        }
    }

    /// <summary>The order usage is charged to slices: credits of voided or expired grants, and of a recurring grant's
    /// ended period (<paramref name="ended"/>), first (they cannot be spent later), then burn-down order.</summary>
    public List<GrantRecord> GrantsInUsageOrder(HashSet<GrantRecord>? ended)
    {
        var grants = GrantsInBurnOrder();
        grants.Sort((a, b) =>
        {
            bool liveA = IsLive(a, ended), liveB = IsLive(b, ended);
            return liveA == liveB ? GrantRecord.Compare(a, b) : liveA ? 1 : -1;
        });
        return grants;
    }

    /// <summary>
    /// The grants whose slice holds credits of a recurring period that has ended since this lease's last exchange
    /// (docs/design.md#lease-expiry): that exchange capped the expiry at the period's end, so the current period
    /// starting at or after the expiry means the period changed. Null when there are none.
    /// </summary>
    public HashSet<GrantRecord>? EndedPeriodSlices()
    {
        HashSet<GrantRecord>? ended = null;
        foreach (var grant in Slices.Keys)
        {
            if (grant.IsActive && grant.Spec.Recurrence is { } r && r.BoundaryAt(grant.EffectiveAt, grant.PeriodIndex) >= ExpiresAt)
            {
                (ended ??= new HashSet<GrantRecord>(ReferenceEqualityComparer.Instance)).Add(grant);
            }
        }

        return ended;
    }

    /// <summary>Whether the slice's credits may still be spent later: an active grant, not of an ended period.</summary>
    public static bool IsLive(GrantRecord grant, HashSet<GrantRecord>? ended) =>
        grant.IsActive && (ended is null || !ended.Contains(grant));

    /// <summary>The slices in burn-down order of their grants.</summary>
    public List<GrantRecord> GrantsInBurnOrder()
    {
        var grants = new List<GrantRecord>(Slices.Keys);
        grants.Sort(GrantRecord.Compare);
        return grants;
    }
}
