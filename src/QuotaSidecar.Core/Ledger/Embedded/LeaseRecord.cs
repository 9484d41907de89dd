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

    /// <summary>The order usage is charged to slices: credits of voided or expired grants first (they cannot be spent
    /// later), then burn-down order.</summary>
    public List<GrantRecord> GrantsInUsageOrder()
    {
        var grants = GrantsInBurnOrder();
        grants.Sort((a, b) => a.IsActive == b.IsActive ? GrantRecord.Compare(a, b) : a.IsActive ? 1 : -1);
        return grants;
    }

    /// <summary>The slices in burn-down order of their grants.</summary>
    public List<GrantRecord> GrantsInBurnOrder()
    {
        var grants = new List<GrantRecord>(Slices.Keys);
        grants.Sort(GrantRecord.Compare);
        return grants;
    }
}
