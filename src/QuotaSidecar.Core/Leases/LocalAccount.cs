using System.Diagnostics;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Holds;
using QuotaSidecar.Core.Journal;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Leases;

/// <summary>
/// One account as this sidecar sees it: the local lease, its open holds, usage not yet reported and the cached
/// policy. It owns that state: every change goes through one of the operations below, named for what it does
/// (take for a hold, commit, return, compose an exchange, apply its result), each called with <see cref="Gate"/>
/// held (never across an await) and each ending with <see cref="AssertInvariants"/>. <see cref="Exchanging"/> makes
/// the store exchanges of this account one at a time; the hot path never touches it. With a usage journal, usage,
/// composed exchanges and applied answers are recorded as they happen (<see cref="UsageJournal"/>).
/// </summary>
internal sealed class LocalAccount(string id, long bornTicks, HoldTable holds, UsageJournal? journal = null, int maxLabelSets = 1_000)
{
    private const double RateSmoothing = 0.3;

    private static long s_lockOrders;

    /// <summary>Unreported usage per label set (docs/design.md#usage-labels); made at the first labelled usage, so an
    /// account used without labels never has one. At most <c>maxLabelSets</c> sets; further ones go to the overflow set.</summary>
    private Dictionary<string, long>? _labelUsage;

    /// <summary>The Reserve's label set of open holds that have one (docs/design.md#usage-labels), made at the first:
    /// kept beside the holds rather than in them, so a hold without labels is not a byte larger.</summary>
    private Dictionary<Hold, string>? _holdLabels;

    public string Id { get; } = id;

    public Lock Gate { get; } = new();

    /// <summary>The one order in which a request takes the gates of several accounts (the nodes of a path,
    /// docs/design.md#path-holds): ascending, unique per object, independent of the tree, so two paths can never wait
    /// on each other whatever a stale view of the tree says.</summary>
    public long LockOrder { get; } = Interlocked.Increment(ref s_lockOrders);

    /// <summary>The exchange with the store running for this account, if any (guarded by the gate): whoever needs
    /// one while it runs waits for it instead of queueing another (Settlement.LeaseExchanger).</summary>
    public Task<Settlement.ExchangeOutcome>? Exchanging { get; set; }

    /// <summary>1 while a background refill is queued (so it is queued once). Interlocked, not under the gate.</summary>
    public int RefillQueued;

    /// <summary>Forgotten by the idle eviction: no longer in the account table; whoever still holds a reference must
    /// look the account up again.</summary>
    public bool Evicted => _evicted;

    // Read without the gate by a slow Reserve deciding whether to look the account up again.
    private volatile bool _evicted;

    /// <summary>False until the store confirmed the account exists.</summary>
    public bool Known { get; private set; }

    public AccountPolicy? Policy { get; private set; }

    /// <summary>Leased credits not held: what the hot path spends.</summary>
    public long Free { get; private set; }

    /// <summary>Leased overage allowance not held (SOFT accounts).</summary>
    public long OverageFree { get; private set; }

    /// <summary>Credits in open holds (lease, overage and fail-open parts): the sum of their <see cref="Hold.Total"/>.</summary>
    public long Held { get; private set; }

    /// <summary>The part of <see cref="Held"/> that came from the lease's credits: the sum of their <see cref="Hold.Credits"/>.</summary>
    public long HeldCredits { get; private set; }

    /// <summary>Committed usage not yet put into an exchange (lost if the process dies now: "credits at risk").</summary>
    public long Unreported { get; private set; }

    /// <summary>Credits granted while the store was down (fail-open), not yet reported.</summary>
    public long FailOpenUsed { get; private set; }

    /// <summary>An exchange composed but not acknowledged: resent unchanged (same sequence) until it is.</summary>
    public LeaseExchange? InFlight { get; private set; }

    /// <summary>The sequence of the last exchange the store answered as applied (0: none yet, or the store forgot this
    /// instance). Sent with every exchange, with <see cref="AcknowledgedUsage"/> and <see cref="AcknowledgedAt"/>, so
    /// the store can tell it went back in time (docs/design.md#store-rollback).</summary>
    public long AcknowledgedSequence { get; private set; }

    /// <summary>The store's usage total for this instance as of <see cref="AcknowledgedSequence"/>.</summary>
    public long AcknowledgedUsage { get; private set; }

    /// <summary>When the exchange of <see cref="AcknowledgedSequence"/> was composed.</summary>
    public DateTimeOffset? AcknowledgedAt { get; private set; }

    public long LeaseExpiresTicks { get; private set; }

    /// <summary>Central available credits as of the last exchange.</summary>
    public long CentralAvailable { get; private set; }

    public long CentralOverageHeadroom { get; private set; }

    public long CentralAsOfTicks { get; private set; }

    public long LastExchangeTicks { get; private set; }

    /// <summary>The last applied exchange asked for credits and the store gave fewer than its minimum: the store,
    /// not a concurrent request, is short.</summary>
    public bool TakeFellShort { get; private set; }

    /// <summary>Born "used now", so the idle eviction cannot forget an account before its first exchange.</summary>
    public long LastUseTicks { get; private set; } = bornTicks;

    /// <summary>The store asked holders to give unused credits back: the next exchange returns them all.</summary>
    public bool ReclaimRequested { get; private set; }

    /// <summary>The last exchange found no credits for us while other sidecars held some (they were asked to return them).</summary>
    public bool ReclaimFlagSeen { get; private set; }

    /// <summary>Observed rate in credits per second (EWMA over settle passes).</summary>
    public double Rate { get; private set; }

    /// <summary>Open holds, newest first (an intrusive list: no allocation to track them).</summary>
    public Hold? OpenHolds { get; private set; }

    public int OpenHoldCount { get; private set; }

    /// <summary>The journal segment of the oldest usage not yet in an exchange (-1: none). <see cref="UsageJournal"/>'s, under both locks.</summary>
    public long JournalUsagePin = -1;

    /// <summary>The journal segment of the oldest record the exchange in flight needs (-1: none). <see cref="UsageJournal"/>'s.</summary>
    public long JournalExchangePin = -1;

    /// <summary>The sequence of the last exchange composed (journaled with each usage record, so a replay knows which
    /// usage no exchange carried). <see cref="UsageJournal"/>'s.</summary>
    public long JournalSequence;

    /// <summary>Usage since the last rate sample, for the EWMA.</summary>
    private long _usedSinceSample;

    private long _lastSampleTicks;

    /// <summary>No open hold expires before this (a cheap check before any sweep).</summary>
    private long _earliestHoldExpiryTicks = long.MaxValue;

    public bool IsSuspended => Policy is { Status: AccountStatus.Suspended };

    public bool IsSoft => Policy is { OverageMode: OverageMode.Soft };

    /// <summary>A TRACK account only records (docs/design.md#account-tree): it never refuses, holds no lease, and its
    /// usage is reported for the store to charge (credits if it has any, else debt without a limit).</summary>
    public bool IsTrack => Policy is { OverageMode: OverageMode.Track };

    /// <summary>The account's parent in its tree as last learned from the store; null for a root.</summary>
    public string? ParentId => Policy?.ParentId;

    // Credits an exchange in flight returns have left Free and reach CentralAvailable only with its answer: counted
    // meanwhile, or the hint dips by them for a round trip (a precision-mode settle returns the whole lease).

    /// <summary>Spendable estimate: the local lease plus central available as last seen, plus what is being returned.</summary>
    public long BalanceHint => Free + CentralAvailable + (InFlight?.Return ?? 0);

    public bool IsLowBalance => Policy is not null && BalanceHint <= Policy.LowBalanceThreshold;

    /// <summary>Usage the store has not acknowledged yet: unreported plus what an unacknowledged exchange carries.</summary>
    public long UsageAtRisk => Unreported + (InFlight?.Used ?? 0);

    public bool LeaseUsable(long nowTicks) => nowTicks < LeaseExpiresTicks;

    /// <summary>Whether the lease (credits, then overage allowance) covers a hold of <paramref name="amount"/> now; always
    /// for a TRACK account.</summary>
    public bool CanHold(long amount, long nowTicks) => IsTrack || (LeaseUsable(nowTicks) && Free + OverageFree >= amount);

    /// <summary>Whether the lease's credits cover a Consume of <paramref name="amount"/> now; always for a TRACK account.</summary>
    public bool CanConsume(long amount, long nowTicks) => IsTrack || (LeaseUsable(nowTicks) && Free >= amount);

    /// <summary>Takes an open hold's amount from the lease: its credits first, then the overage allowance (a TRACK
    /// account's hold has nothing behind it: its usage is charged centrally). The caller checked <see cref="CanHold"/>
    /// under the same gate.</summary>
    public void TakeForHold(Hold hold, long nowTicks)
    {
        AssertGateHeld();
        LastUseTicks = nowTicks;
        if (IsTrack)
        {
            Held += hold.Requested;
            hold.Unbacked = hold.Requested;
            Open(hold);
            return;
        }

        hold.Credits = Math.Min(hold.Requested, Free);
        hold.OverageCredits = hold.Requested - hold.Credits;
        Free -= hold.Credits;
        OverageFree -= hold.OverageCredits;
        Held += hold.Requested;
        HeldCredits += hold.Credits;
        Open(hold);
    }

    /// <summary>Whether a fail-open hold of <paramref name="amount"/> fits what is left of <paramref name="allowance"/>.</summary>
    public bool FailOpenAllows(long amount, long allowance) => !IsSuspended && allowance - FailOpenUsed >= amount;

    /// <summary>Opens a hold with nothing behind it (granted while the store is down): its usage is reported as
    /// overage unless central credits cover it when the store returns.</summary>
    public void TakeUnbacked(Hold hold)
    {
        AssertGateHeld();
        FailOpenUsed += hold.Requested;
        Held += hold.Requested;
        hold.Unbacked = hold.Requested;
        Open(hold);
    }

    /// <summary>Spends <paramref name="amount"/> of the lease's credits at once (a Consume), if it covers them (a TRACK
    /// account only records it).</summary>
    public bool TryConsume(long amount, long nowTicks, string? labelSet = null)
    {
        AssertGateHeld();
        if (!CanConsume(amount, nowTicks))
        {
            return false;
        }

        if (!IsTrack)
        {
            Free -= amount;
        }

        AddUsage(amount, labelSet);
        LastUseTicks = nowTicks;
        AssertInvariants();
        return true;
    }

    /// <summary>
    /// Charges <paramref name="amount"/> to an open hold and closes it: the hold's lease credits first, then its
    /// overage part, then its fail-open part; anything above the hold draws the lease, then the overage allowance,
    /// and the rest is unbacked (charged centrally at the next exchange: to central credits if any are left as last
    /// seen, the rest as debt). What the hold does not use goes back to the lease. Sets the hold's final figures.
    /// The usage is attributed to <paramref name="labelSet"/> (canonical), or when null to the Reserve's set if it had
    /// one (<see cref="LabelHold"/>), else it is unlabelled.
    /// </summary>
    /// <param name="pathHint">On a path hold's own part: the smallest hint of the nodes above it (the answer is what can
    /// still be spent through the path); long.MaxValue otherwise.</param>
    public void Commit(Hold hold, long amount, long nowTicks, string? labelSet = null, long pathHint = long.MaxValue)
    {
        AssertGateHeld();
        Debug.Assert(hold.State == HoldState.Open, "only an open hold is committed");
        var fromCredits = Math.Min(amount, hold.Credits);
        var fromOverage = Math.Min(amount - fromCredits, hold.OverageCredits);
        var fromUnbacked = Math.Min(amount - fromCredits - fromOverage, hold.Unbacked);
        var excess = amount - fromCredits - fromOverage - fromUnbacked;
        var extraCredits = Math.Min(excess, Free);
        var extraOverage = Math.Min(excess - extraCredits, OverageFree);
        Free += hold.Credits - fromCredits - extraCredits;
        OverageFree += hold.OverageCredits - fromOverage - extraOverage;
        Held -= hold.Total;
        HeldCredits -= hold.Credits;
        AddUsage(amount, labelSet ?? HoldLabels(hold));
        Unlink(hold);

        var unbacked = fromUnbacked + excess - extraCredits - extraOverage;
        var centrallyCovered = Math.Min(unbacked, CentralAvailable);
        CentralAvailable -= centrallyCovered;

        hold.State = HoldState.Committed;
        hold.Committed = amount;
        hold.Released = hold.Total - fromCredits - fromOverage - fromUnbacked;
        hold.Overage = fromOverage + extraOverage + unbacked - centrallyCovered;
        hold.FinalBalanceHint = PathHint(pathHint);
        Finished(hold, nowTicks);
        AssertInvariants();
    }

    /// <summary>Puts an open hold's credits back and closes it as <paramref name="final"/> (released or expired).</summary>
    public void ReturnHold(Hold hold, HoldState final, long nowTicks, long pathHint = long.MaxValue)
    {
        AssertGateHeld();
        var total = hold.Total;
        Free += hold.Credits;
        OverageFree += hold.OverageCredits;
        Held -= total;
        HeldCredits -= hold.Credits;
        hold.State = final;
        hold.Released = total;
        hold.FinalBalanceHint = PathHint(pathHint);
        HoldLabels(hold);
        Unlink(hold);
        Finished(hold, nowTicks);
        AssertInvariants();
    }

    /// <summary>The balance hint of an answer on a path: this account's, capped by the nodes above it (a TRACK account's
    /// own says nothing: only theirs).</summary>
    public long PathHint(long above) => above == long.MaxValue ? BalanceHint : IsTrack ? above : Math.Min(BalanceHint, above);

    /// <summary>Gives an open hold the Reserve's label set, for its Commit (without labels of its own) to use.</summary>
    public void LabelHold(Hold hold, string labelSet)
    {
        AssertGateHeld();
        if (hold.State == HoldState.Open)
        {
            (_holdLabels ??= new Dictionary<Hold, string>(ReferenceEqualityComparer.Instance))[hold] = labelSet;
        }
    }

    /// <summary>Expires the hold if its time has come.</summary>
    public void ExpireIfDue(Hold hold, long nowTicks)
    {
        if (hold.State == HoldState.Open && hold.ExpiresTicks <= nowTicks)
        {
            ReturnHold(hold, HoldState.Expired, nowTicks);
        }
    }

    /// <summary>Expires every open hold whose time has come (lazily: on the next touch or settle pass).</summary>
    public void SweepExpired(long nowTicks)
    {
        if (nowTicks < _earliestHoldExpiryTicks)
        {
            return;
        }

        var earliest = long.MaxValue;
        for (var hold = OpenHolds; hold is not null;)
        {
            var next = hold.Next;
            if (hold.ExpiresTicks <= nowTicks)
            {
                ReturnHold(hold, HoldState.Expired, nowTicks);
            }
            else if (hold.ExpiresTicks < earliest)
            {
                earliest = hold.ExpiresTicks;
            }

            hold = next;
        }

        _earliestHoldExpiryTicks = earliest;
    }

    /// <summary>Releases every open hold (shutdown). Returns how many.</summary>
    public int ReleaseAllHolds(long nowTicks)
    {
        var released = 0;
        while (OpenHolds is { } hold)
        {
            ReturnHold(hold, HoldState.Released, nowTicks);
            released++;
        }

        return released;
    }

    /// <summary>
    /// Folds the usage since the last sample into <see cref="Rate"/>: an EWMA with weight 0.3 per settle interval.
    /// An account the pass did not visit for k intervals (nothing local) is folded as k intervals of its average
    /// rate, so its old rate has decayed as if it had been sampled every pass.
    /// </summary>
    public void SampleRate(long nowTicks, long intervalTicks)
    {
        var elapsed = _lastSampleTicks == 0 ? intervalTicks : Math.Max(1, nowTicks - _lastSampleTicks);
        _lastSampleTicks = nowTicks;
        var rate = _usedSinceSample * (double)TimeSpan.TicksPerSecond / elapsed;
        var keep = elapsed <= intervalTicks ? 1 - RateSmoothing : Math.Pow(1 - RateSmoothing, elapsed / (double)intervalTicks);
        Rate = ((1 - keep) * rate) + (keep * Rate);
        _usedSinceSample = 0;
        if (Rate < 0.01)
        {
            Rate = 0;
        }
    }

    /// <summary>A policy change made through this sidecar, applied at once (others learn it at their next exchange).</summary>
    public void ApplyPolicy(AccountPolicy policy)
    {
        AssertGateHeld();
        Policy = policy;
    }

    /// <summary>
    /// Composes the next exchange and marks it in flight: all unreported usage; the credits to give back (all on a
    /// return or reclaim, all in precision mode when nothing waits, the surplus above twice the target otherwise);
    /// and what to ask for (a waiting request's need, a top-up to the target unless in precision mode).
    /// </summary>
    public LeaseExchange ComposeExchange(ExchangeIntent intent, LeaseSizing sizing, string instanceId, long sequence, DateTimeOffset composedAt)
    {
        AssertGateHeld();
        Debug.Assert(InFlight is null, "one exchange in flight at a time");
        var used = Unreported;
        Unreported = 0;
        FailOpenUsed = 0;
        var labelUsage = TakeLabelUsage();

        var target = sizing.Target(this);
        long give = 0, giveOverage = 0;
        if (intent.ReturnAll || ReclaimRequested)
        {
            give = Free;
            giveOverage = OverageFree;
            ReclaimRequested = false;
        }
        else if (sizing.Precise(this) && intent.Need == 0)
        {
            give = Free; // near the end of the balance, hold nothing idle
        }
        else if (Free > 2 * target)
        {
            give = Free - target;
        }

        Free -= give;
        OverageFree -= giveOverage;

        long want = 0, min = 0, overageWant = 0;
        if (!intent.ReturnAll && !IsSuspended && !IsTrack)
        {
            var need = Math.Max(0, intent.Need - Free);
            var topUp = (intent.Refill || need > 0) && !sizing.Precise(this) ? Math.Max(0, target - Free) : 0;
            want = Math.Min(Validation.MaxAmount, Math.Max(need, topUp));
            overageWant = Math.Max(0, intent.OverageNeed - OverageFree);
            min = need > 0 ? need : Math.Min(want, 1);
        }

        // A clock that stepped back must not make the exchange invalid: an earlier acknowledged time only makes the store
        // slower to call a missing record a rollback.
        var acknowledgedAt = AcknowledgedAt is { } at && at > composedAt ? composedAt : AcknowledgedAt;
        InFlight = new LeaseExchange(
            Id, instanceId, sequence, used, give, giveOverage, want, min, overageWant, HeldCredits, composedAt,
            AcknowledgedSequence, AcknowledgedUsage, acknowledgedAt) { LabelUsage = labelUsage };
        journal?.Exchange(this, InFlight);
        AssertInvariants();
        return InFlight;
    }

    /// <summary>
    /// Applies the store's answer to the exchange in flight. Returns true when the store had reclaimed the lease
    /// while this sidecar still held it (its free credits are gone; usage is charged centrally). After a store
    /// rollback (<see cref="LeaseExchangeResult.StoreRolledBack"/>) the lease becomes what the store records.
    /// </summary>
    public bool ApplyExchange(LeaseExchangeResult result, long nowTicks)
    {
        AssertGateHeld();
        TakeFellShort = result.Granted < (InFlight?.MinAcceptable ?? 0);
        if (journal is not null && InFlight is not null)
        {
            journal.Ack(this, InFlight.Sequence);
        }

        var sent = InFlight;
        InFlight = null;
        LastExchangeTicks = nowTicks;
        if (!result.AccountExists)
        {
            Known = false;
            Acknowledge(null, result);
            return false;
        }

        Known = true;
        Policy = result.Policy;
        Acknowledge(result.InstanceExpired ? null : sent, result);
        if (result.StoreRolledBack)
        {
            AdoptStoreLease(result);
        }
        else
        {
            if (result.LeaseLost)
            {
                Free = 0;
                OverageFree = 0;
            }

            Free -= Math.Min(Free, result.Revoked);
            Free += result.Granted;
            OverageFree += result.OverageGranted;
        }

        LeaseExpiresTicks = result.LeaseExpiresAt.UtcTicks;
        CentralAvailable = result.Available;
        CentralOverageHeadroom = result.OverageHeadroom;
        CentralAsOfTicks = nowTicks;
        ReclaimFlagSeen = result.ReclaimRequested && result.Granted == 0;
        ReclaimRequested |= ReclaimFlagSeen && Free > 0;
        AssertInvariants();
        return result.LeaseLost;
    }

    /// <summary>Nothing local left (no lease, holds or usage to report) and unused for <paramref name="idleTicks"/>.</summary>
    public bool IsForgettable(long nowTicks, long idleTicks) =>
        IsEmpty && nowTicks - Math.Max(LastUseTicks, LastExchangeTicks) >= idleTicks;

    /// <summary>Nothing local: no lease credits, holds, usage to report or exchange in flight. The settle pass need
    /// not visit such an account until it is evicted.</summary>
    public bool IsEmpty => Free == 0 && OverageFree == 0 && OpenHoldCount == 0 && Unreported == 0 && InFlight is null;

    /// <summary>In the account table's active list (guarded by the gate; see <see cref="AccountTable.MarkActive"/>).</summary>
    public bool Listed { get; set; }

    /// <summary>Whether nothing of this account needs keeping: unknown to the store and empty locally, with no exchange
    /// unanswered (the store may have applied it and leased credits: it is resent to learn).</summary>
    public bool IsUnknownAndEmpty => !Known && OpenHoldCount == 0 && Unreported == 0 && Free == 0 && InFlight is null && Exchanging is null;

    /// <summary>Marks the account forgotten by the idle eviction (the caller removes it from the table).</summary>
    public void MarkEvicted() => _evicted = true;

    /// <summary>Remembers what the store has applied, for the next exchange to tell; forgets it (null) when the store
    /// says it does not know the account or no longer knows this instance.</summary>
    private void Acknowledge(LeaseExchange? applied, LeaseExchangeResult result)
    {
        AcknowledgedSequence = applied?.Sequence ?? 0;
        AcknowledgedUsage = applied is null ? 0 : result.UsedTotal;
        AcknowledgedAt = applied?.ComposedAt;
    }

    /// <summary>
    /// The store went back in time: the lease is what it records now (<see cref="LeaseExchangeResult.LeaseCredits"/>,
    /// <see cref="LeaseExchangeResult.LeaseOverage"/>, after this exchange), never more. Open holds and usage committed
    /// since the exchange was composed will be charged to it first, so what is left of it is free: never negative,
    /// the rest of the holds unbacked (charged to central credits, else debt, like after a lost lease). Credits the
    /// store records beyond what this sidecar thought it had (returns it lost) are adopted too, not left stranded.
    /// </summary>
    private void AdoptStoreLease(LeaseExchangeResult result)
    {
        long heldOverage = 0;
        for (var hold = OpenHolds; hold is not null; hold = hold.Next)
        {
            heldOverage += hold.OverageCredits;
        }

        var credits = result.LeaseCredits - HeldCredits - Unreported;
        Free = Math.Max(0, credits);
        OverageFree = Math.Max(0, result.LeaseOverage - heldOverage + Math.Min(0, credits));
    }

    /// <summary>A hold of this account finished: its idempotency record is kept for the window, unless it is an
    /// ancestor's part of a path hold (the request's own hold carries the record).</summary>
    private void Finished(Hold hold, long nowTicks)
    {
        if (!hold.IsAncestorPart)
        {
            holds.Finished(hold, nowTicks);
        }
    }

    private void AddUsage(long amount, string? labelSet)
    {
        // Recorded before the answer leaves: a crash from here on cannot lose it (docs/design.md#journal-before-answer).
        journal?.Usage(this, amount);
        Unreported += amount;
        _usedSinceSample += amount;
        if (labelSet is not null && amount > 0)
        {
            AddLabelUsage(amount, labelSet);
        }
    }

    /// <summary>Adds to the unreported usage of a label set; a set beyond the bound goes to the overflow set (the
    /// ledger counts it with the rest of the account's overflow).</summary>
    private void AddLabelUsage(long amount, string labelSet)
    {
        _labelUsage ??= new Dictionary<string, long>(StringComparer.Ordinal);
        if (!_labelUsage.ContainsKey(labelSet) && _labelUsage.Count >= maxLabelSets)
        {
            labelSet = UsageLabels.Overflow;
        }

        // Unreported usage never passes 2^53 in an exchange (the engine validates amounts), so neither does a part of it.
        _labelUsage[labelSet] = _labelUsage.GetValueOrDefault(labelSet) + amount;
    }

    /// <summary>The unreported usage per label set for the exchange being composed; null when there is none. The map
    /// is cleared and kept for the next exchange (no garbage per exchange beyond the list sent).</summary>
    private LabelUsage[]? TakeLabelUsage()
    {
        if (_labelUsage is not { Count: > 0 } map)
        {
            return null;
        }

        var usage = new LabelUsage[map.Count];
        var i = 0;
        foreach (var (labelSet, amount) in map)
        {
            usage[i++] = new LabelUsage(labelSet, amount);
        }

        map.Clear();
        return usage;
    }

    /// <summary>The hold's Reserve labels, forgotten as the hold closes; null: none.</summary>
    private string? HoldLabels(Hold hold)
    {
        if (_holdLabels is null || !_holdLabels.Remove(hold, out var labelSet))
        {
            return null;
        }

        return labelSet;
    }

    private void Open(Hold hold)
    {
        hold.Next = OpenHolds;
        if (OpenHolds is not null)
        {
            OpenHolds.Previous = hold;
        }

        OpenHolds = hold;
        OpenHoldCount++;
        if (hold.ExpiresTicks < _earliestHoldExpiryTicks)
        {
            _earliestHoldExpiryTicks = hold.ExpiresTicks;
        }

        hold.State = HoldState.Open;
        AssertInvariants();
    }

    private void Unlink(Hold hold)
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

    [Conditional("DEBUG")]
    private void AssertGateHeld() => Debug.Assert(Gate.IsHeldByCurrentThread, $"account {Id}: its gate must be held");

    /// <summary>
    /// The account's side of the conservation law: what is held is exactly what the open holds hold, and no bucket
    /// is negative. (The store's side — leased = free + held credits + unreported lease usage — is checked by the
    /// ledger contract and the randomized model test.)
    /// </summary>
    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        AssertGateHeld();
        Debug.Assert(Free >= 0 && OverageFree >= 0 && Unreported >= 0 && FailOpenUsed >= 0, $"account {Id}: a negative bucket");
        Debug.Assert(HeldCredits >= 0 && Held >= HeldCredits, $"account {Id}: held {Held} < held credits {HeldCredits}");
        Debug.Assert((_holdLabels?.Count ?? 0) <= OpenHoldCount, $"account {Id}: labels kept for closed holds");
        long held = 0, heldCredits = 0;
        var count = 0;
        for (var hold = OpenHolds; hold is not null; hold = hold.Next)
        {
            held += hold.Total;
            heldCredits += hold.Credits;
            count++;
        }

        Debug.Assert(held == Held && heldCredits == HeldCredits && count == OpenHoldCount, $"account {Id}: open holds ({count}: {held}/{heldCredits}) disagree with the account ({OpenHoldCount}: {Held}/{HeldCredits})");
    }
}
