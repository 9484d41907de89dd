using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Holds;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Leases;

/// <summary>
/// One account as this sidecar sees it: the local lease, open holds, unreported usage and the cached policy.
/// Every field is guarded by <see cref="Gate"/> (never held across an await); <see cref="SyncGate"/> serialises
/// the store exchanges of this account, and the hot path never touches it.
/// </summary>
internal sealed class LocalAccount(string id)
{
    public string Id { get; } = id;

    public Lock Gate { get; } = new();

    public SemaphoreSlim SyncGate { get; } = new(1, 1);

    /// <summary>Forgotten by the idle eviction: no longer in the engine's table; whoever still holds a reference must
    /// look the account up again.</summary>
    public bool Evicted { get; set; }

    /// <summary>False until the store confirmed the account exists.</summary>
    public bool Known { get; set; }

    public AccountPolicy? Policy { get; set; }

    /// <summary>Leased credits not held: what the hot path spends.</summary>
    public long Free { get; set; }

    /// <summary>Leased overage allowance not held (SOFT accounts).</summary>
    public long OverageFree { get; set; }

    /// <summary>Credits in open holds (lease and overage parts).</summary>
    public long Held { get; set; }

    /// <summary>The part of <see cref="Held"/> that came from the lease's credits.</summary>
    public long HeldCredits { get; set; }

    /// <summary>Committed usage not yet reported to the store (lost if the process dies now: "credits at risk").</summary>
    public long Unreported { get; set; }

    /// <summary>Credits granted while the store was down (fail-open), not yet reported.</summary>
    public long FailOpenUsed { get; set; }

    /// <summary>The last sequence number sent to the store for this account (numbers come from one counter per process).</summary>
    public long Sequence { get; set; }

    /// <summary>An exchange sent but not acknowledged: retried unchanged until it is.</summary>
    public LeaseExchange? InFlight { get; set; }

    public long LeaseExpiresTicks { get; set; }

    public long CentralAvailable { get; set; }

    public long CentralOverageHeadroom { get; set; }

    public long CentralAsOfTicks { get; set; }

    public long LastSyncTicks { get; set; }

    public long LastUseTicks { get; set; }

    public bool ReclaimRequested { get; set; }

    /// <summary>The last exchange found no credits for us while other sidecars held some (they were asked to return them).</summary>
    public bool ReclaimFlagSeen { get; set; }

    /// <summary>Usage since the last rate sample, for the EWMA.</summary>
    public long UsedSinceSample { get; set; }

    /// <summary>Observed rate in credits per second (EWMA).</summary>
    public double Rate { get; set; }

    /// <summary>1 while a background refill is queued (so it is queued once).</summary>
    public int RefillQueued;

    /// <summary>Open holds, newest first.</summary>
    public Hold? OpenHolds { get; set; }

    public int OpenHoldCount { get; set; }

    /// <summary>No open hold expires before this (a cheap check before any sweep).</summary>
    public long EarliestHoldExpiryTicks { get; set; } = long.MaxValue;

    public bool IsSuspended => Policy is { Status: AccountStatus.Suspended };

    public bool IsSoft => Policy is { OverageMode: OverageMode.Soft };

    public bool LeaseUsable(long nowTicks) => nowTicks < LeaseExpiresTicks;

    /// <summary>Spendable estimate: the local lease plus central available as last seen.</summary>
    public long BalanceHint => Free + CentralAvailable;

    public bool IsLowBalance => Policy is not null && BalanceHint <= Policy.LowBalanceThreshold;

    public void Link(Hold hold)
    {
        hold.Next = OpenHolds;
        if (OpenHolds is not null)
        {
            OpenHolds.Previous = hold;
        }

        OpenHolds = hold;
        OpenHoldCount++;
        if (hold.ExpiresTicks < EarliestHoldExpiryTicks)
        {
            EarliestHoldExpiryTicks = hold.ExpiresTicks;
        }
    }

    public void Unlink(Hold hold)
    {
        if (hold.Previous is not null)
        {
            hold.Previous.Next = hold.Next;
        }
        else
        {
            OpenHolds = hold.Next;
        }

        if (hold.Next is not null)
        {
            hold.Next.Previous = hold.Previous;
        }

        hold.Previous = null;
        hold.Next = null;
        OpenHoldCount--;
    }

    /// <summary>Puts an open hold's credits back and marks it with <paramref name="final"/>. Caller holds the gate.</summary>
    public long ReturnHold(Hold hold, HoldState final)
    {
        var total = hold.Total;
        Free += hold.Credits;
        OverageFree += hold.OverageCredits;
        Held -= total;
        HeldCredits -= hold.Credits;
        hold.State = final;
        hold.Released = total;
        Unlink(hold);
        return total;
    }

    /// <summary>Expires every open hold whose time has come. Caller holds the gate.</summary>
    public int SweepExpired(long nowTicks)
    {
        if (nowTicks < EarliestHoldExpiryTicks)
        {
            return 0;
        }

        var expired = 0;
        var earliest = long.MaxValue;
        for (var hold = OpenHolds; hold is not null;)
        {
            var next = hold.Next;
            if (hold.ExpiresTicks <= nowTicks)
            {
                ReturnHold(hold, HoldState.Expired);
                expired++;
            }
            else if (hold.ExpiresTicks < earliest)
            {
                earliest = hold.ExpiresTicks;
            }

            hold = next;
        }

        EarliestHoldExpiryTicks = earliest;
        return expired;
    }
}
