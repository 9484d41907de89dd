using System.Globalization;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Ledger.Embedded;

/// <summary>
/// One account's central state and the rules that change it. Not thread-safe: <see cref="EmbeddedLedger"/>
/// locks the book around every call. The Redis ledger's function library (QuotaSidecar.Redis, Scripts/ledger.lua)
/// implements the same rules with one Lua function per method here, same names (snake_case), same order.
/// Wherever the order of a walk shows in the ledger entries it is fixed and the same in both: grants in burn-down
/// order, reclaimed leases by instance id (ordinal), a lease's slices in burn-down order of their grants.
/// </summary>
internal sealed class AccountBook(AccountPolicy policy, CentralLedgerOptions options)
{
    private readonly List<GrantRecord> _grants = [];

    // Grants already warned of by grant.expiring (still active): each is warned of once (Expiring).
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GrantRecord> _grantsById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LeaseRecord> _leases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LastExchange> _lastExchange = new(StringComparer.Ordinal);
    private readonly List<LedgerEntry> _entries = [];
    private readonly Dictionary<string, long> _labelUsage = new(StringComparer.Ordinal);
    private long _nextEntry;
    private long _granted;
    private long _consumed;
    private long _expired;
    private long _voided;
    private long _debt;
    private DateTimeOffset? _reclaimRequestedAt;

    // The earliest time an instance without a lease stopped holding one (null: none): records are swept only when
    // the earliest of them is due.
    private DateTimeOffset? _idleSinceMin;

    public AccountPolicy Policy { get; set; } = policy;

    /// <summary>Grants that reached their expiry since the ledger last decided the account's events, with their unused
    /// central remainder; drained by <see cref="EmbeddedLedger"/> after each call.</summary>
    internal List<(string GrantId, long Unused)> ExpiredGrants { get; } = [];

    /// <summary>
    /// The active grants with credits left centrally whose expiry is within <paramref name="lead"/> and that were not
    /// warned of before (docs/design.md#grant-expiring; touch_entry in ledger.lua), in burn-down order; they are
    /// remembered as warned. Ids of grants no longer active are forgotten. Call after <see cref="Advance"/>.
    /// </summary>
    internal List<(string GrantId, long Remaining)> Expiring(DateTimeOffset now, TimeSpan lead)
    {
        var expiring = new List<(string GrantId, long Remaining)>();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in _grants)
        {
            if (!g.IsActive || g.Spec.ExpiresAt is not { } expiresAt || expiresAt <= now)
            {
                continue;
            }

            if (_warned.Contains(g.Id))
            {
                kept.Add(g.Id);
            }
            else if (g.Remaining > 0 && expiresAt - now <= lead)
            {
                expiring.Add((g.Id, g.Remaining));
                kept.Add(g.Id);
            }
        }

        _warned.Clear();
        _warned.UnionWith(kept);
        return expiring;
    }

    public Balance Balance()
    {
        long available = 0;
        foreach (var g in _grants)
        {
            if (g.IsActive)
            {
                available += g.Remaining;
            }
        }

        long leased = 0, overageLeased = 0;
        foreach (var lease in _leases.Values)
        {
            leased += lease.Credits;
            overageLeased += lease.Overage;
        }

        return new Balance(available, leased, _consumed, _expired, _voided, _debt, _granted, overageLeased);
    }

    /// <summary>Applies everything time has made due: lease reclaim, forgetting idle instances, activation, renewal,
    /// expiry.</summary>
    public void Advance(DateTimeOffset now)
    {
        ReclaimExpiredLeases(now);
        ForgetIdleInstances(now);
        _grants.Sort(GrantRecord.Compare);
        foreach (var g in _grants)
        {
            if (g.VoidedAt is not null || g.Closed)
            {
                continue;
            }

            if (!g.Activated)
            {
                if (g.EffectiveAt > now)
                {
                    continue;
                }

                g.Activated = true;
                g.Remaining = g.Spec.Amount;
                _granted += g.Spec.Amount;
                Append(now, LedgerEntryKind.Granted, g.Spec.Amount, g.Id, "");
                PayOffDebt(g, now);
            }

            if (g.Spec.Recurrence is { } recurrence)
            {
                Renew(g, recurrence, now);
            }

            if (g.Spec.ExpiresAt is { } expiresAt && expiresAt <= now)
            {
                g.Closed = true;
                if (g.Remaining > 0)
                {
                    _expired += g.Remaining;
                    ExpiredGrants.Add((g.Id, g.Remaining)); // its grant.expired event (docs/design.md#balance-events)
                    Append(now, LedgerEntryKind.Expired, g.Remaining, g.Id, "");
                    g.Remaining = 0;
                }
            }
        }
    }

    public LeaseExchangeResult Exchange(LeaseExchange ex, DateTimeOffset now)
    {
        Advance(now);
        var known = _lastExchange.TryGetValue(ex.InstanceId, out var last);
        if (known && ex.Sequence <= last.Sequence)
        {
            // A retry of the last exchange gets its first answer; an older one changes nothing. The parent is always the
            // current one (as in ledger.lua, where it is not part of the recorded answer): the engine charges that path
            // (docs/design.md#account-tree).
            return ex.Sequence == last.Sequence
                ? WithCurrentParent(last.Result)
                : Snapshot(ex.InstanceId, now, instanceExpired: false, last.Result.UsedTotal);
        }

        var restored = RolledBackUsage(ex, known ? last : null, now);
        if (restored is null && !known && ex.ComposedAt is { } composedAt && composedAt + options.InstanceRecordHorizon <= now)
        {
            // Composed a horizon ago by an instance the ledger does not know: it may have been applied and the
            // instance forgotten since, so applying it now could apply it twice. Nothing is applied; the sidecar
            // loses its lease.
            return Snapshot(ex.InstanceId, now, instanceExpired: true, usedTotal: 0);
        }

        var leaseLost = last is { HadLease: true } && !_leases.ContainsKey(ex.InstanceId);
        if (!_leases.TryGetValue(ex.InstanceId, out var lease))
        {
            lease = new LeaseRecord();
            _leases[ex.InstanceId] = lease;
        }

        // Slices of a recurring period that ended since the lease's last exchange: charged first, the rest goes back
        // by the recurrence rule (docs/design.md#recurrence), never into the new period.
        var ended = lease.EndedPeriodSlices();

        // After a rollback the usage the ledger lost is charged again first, as a report of its own; the sidecar's
        // figure (the ledger's own, as it last answered) is then the running total.
        ApplyUsage(lease, restored ?? 0, ex.InstanceId, now, ended);
        ApplyUsage(lease, ex.Used, ex.InstanceId, now, ended);
        var labelOverflow = AddLabelUsage(ex.LabelUsage);
        var usedTotal = AddToTotal(restored is null ? (known ? last.Result.UsedTotal : 0) : ex.AcknowledgedUsage, ex.Used);
        ReturnCredits(lease, ex.Return, now, ended);
        lease.Overage -= Math.Min(lease.Overage, ex.ReturnOverage);
        var revoked = RevokeInactiveSlices(lease, ex.Held, now, ended);

        long granted = 0, overageGranted = 0;
        if (Policy.Status == AccountStatus.Active)
        {
            if (ex.Want > 0)
            {
                granted = Take(lease, ex.InstanceId, ex.Want, ex.MinAcceptable, ex.OverageWant > 0 && Policy.OverageMode == OverageMode.Soft, now);
            }

            if (ex.OverageWant > 0 && Policy.OverageMode == OverageMode.Soft)
            {
                // Credits first: what this exchange could lease in credits reduces the overage it needs.
                overageGranted = Math.Min(Math.Max(0, ex.OverageWant - granted), OverageHeadroom());
                lease.Overage += overageGranted;
            }
        }

        var credits = lease.Credits;
        var overage = lease.Overage;
        lease.ExpiresAt = LeaseExpiry(lease, now);
        if (credits == 0 && overage == 0)
        {
            _leases.Remove(ex.InstanceId);
        }

        var result = new LeaseExchangeResult(
            true, Policy, granted, overageGranted, revoked, leaseLost, credits, lease.ExpiresAt,
            Available(), OverageHeadroom(), ReclaimPending(now))
        {
            UsedTotal = usedTotal,
            LeaseOverage = overage,
            StoreRolledBack = restored is not null,
            UsageRestored = restored ?? 0,
            LabelOverflow = labelOverflow,
        };
        var holds = credits + overage > 0;
        StoreRecord(ex.InstanceId, new LastExchange(ex.Sequence, result with { LabelOverflow = 0 }, holds, holds ? null : now));
        return result;
    }

    /// <summary>
    /// A copy of the whole book as it is now, sharing nothing that changes: what a store restored from a backup taken
    /// now would hold. For tests of a store that goes back in time (<see cref="EmbeddedLedger.Backup"/>).
    /// </summary>
    internal AccountBook Copy()
    {
        var copy = new AccountBook(Policy, options);
        var grants = new Dictionary<GrantRecord, GrantRecord>(ReferenceEqualityComparer.Instance);
        foreach (var g in _grants)
        {
            var c = new GrantRecord(g.Spec, g.EffectiveAt, g.CreatedAt)
            {
                Remaining = g.Remaining, Activated = g.Activated, Closed = g.Closed, VoidedAt = g.VoidedAt, PeriodIndex = g.PeriodIndex, Carried = g.Carried,
            };
            grants.Add(g, c);
            copy._grants.Add(c);
            copy._grantsById.Add(c.Id, c);
        }

        foreach (var (instance, lease) in _leases)
        {
            var l = new LeaseRecord { Overage = lease.Overage, ExpiresAt = lease.ExpiresAt };
            foreach (var (grant, amount) in lease.Slices)
            {
                l.Slices.Add(grants[grant], amount);
            }

            copy._leases.Add(instance, l);
        }

        foreach (var (instance, record) in _lastExchange)
        {
            copy._lastExchange.Add(instance, record); // immutable
        }

        copy._entries.AddRange(_entries);
        foreach (var (labelSet, amount) in _labelUsage)
        {
            copy._labelUsage.Add(labelSet, amount);
        }

        (copy._nextEntry, copy._granted, copy._consumed, copy._expired, copy._voided, copy._debt) = (_nextEntry, _granted, _consumed, _expired, _voided, _debt);
        (copy._reclaimRequestedAt, copy._idleSinceMin) = (_reclaimRequestedAt, _idleSinceMin);
        copy._warned.UnionWith(_warned);
        return copy;
    }

    /// <summary>Grants, leases, instance records and ledger entries kept: what grows with use (for tests of bounds).</summary>
    internal int StoredRecords => _grants.Count + _leases.Count + _lastExchange.Count + _entries.Count;

    /// <summary>Usage per label set, ordered by label set (ordinal).</summary>
    public IReadOnlyList<LabelUsage> Usage()
    {
        var usage = new List<LabelUsage>(_labelUsage.Count);
        foreach (var (labelSet, amount) in _labelUsage)
        {
            usage.Add(new LabelUsage(labelSet, amount));
        }

        usage.Sort(static (a, b) => string.CompareOrdinal(a.LabelSet, b.LabelSet));
        return usage;
    }

    public Grant AddGrant(GrantSpec spec, DateTimeOffset now)
    {
        Advance(now);
        if (_grantsById.TryGetValue(spec.GrantId, out var existing))
        {
            if (!existing.Spec.SameGrantAs(spec))
            {
                throw new QuotaException(
                    QuotaError.AlreadyExists,
                    $"grant_id '{spec.GrantId}' already exists with different fields; use a new grant_id for a new grant");
            }

            return existing.ToGrant();
        }

        long pending = 0;
        foreach (var g in _grants)
        {
            pending += g.Activated ? 0 : g.Spec.Amount;
        }

        if (_granted + pending + spec.Amount > Validation.MaxAccountTotal)
        {
            throw QuotaException.Invalid($"amount {spec.Amount} would take account '{Policy.AccountId}' past {Validation.MaxAccountTotal} credits granted in total");
        }

        var record = new GrantRecord(spec, spec.EffectiveAt ?? now, now);
        _grants.Add(record);
        _grantsById.Add(spec.GrantId, record);
        Advance(now);
        return record.ToGrant();
    }

    public Grant Void(string grantId, DateTimeOffset now)
    {
        Advance(now);
        if (!_grantsById.TryGetValue(grantId, out var g))
        {
            throw QuotaException.NotFound($"grant '{grantId}' not found in account '{Policy.AccountId}'");
        }

        if (g.VoidedAt is not null)
        {
            return g.ToGrant();
        }

        g.VoidedAt = now;
        if (g.Activated && g.Remaining > 0)
        {
            _voided += g.Remaining;
            Append(now, LedgerEntryKind.Voided, g.Remaining, g.Id, "");
        }

        g.Remaining = 0;
        return g.ToGrant();
    }

    public IReadOnlyList<Grant> ListGrants(bool includeInactive, DateTimeOffset now)
    {
        Advance(now);
        var list = new List<Grant>(_grants.Count);
        foreach (var g in _grants)
        {
            if (includeInactive || g.IsActive)
            {
                list.Add(g.ToGrant());
            }
        }

        return list;
    }

    public LedgerPage Entries(string? after, int limit)
    {
        var start = 0;
        if (!string.IsNullOrEmpty(after))
        {
            // Ids are fixed-width numbers, so ordinal order is numeric order.
            while (start < _entries.Count && string.CompareOrdinal(_entries[start].EntryId, after) <= 0)
            {
                start++;
            }
        }

        var count = Math.Min(limit, _entries.Count - start);
        var page = _entries.GetRange(start, count);
        var next = start + count < _entries.Count && count > 0 ? page[^1].EntryId : "";
        return new LedgerPage(page, next);
    }

    /// <summary>Leases past their expiry and grace go back, in a fixed order so their ledger entries come out the same
    /// in both ledgers: by instance id (ordinal), and a lease's slices in burn-down order of their grants.</summary>
    /// <summary>
    /// Adds an exchange's usage per label set to the account's running totals (docs/design.md#usage-labels): a set
    /// beyond <see cref="CentralLedgerOptions.MaxLabelSets"/> distinct ones goes to the overflow set, which is not
    /// counted. Returns the credits that went to the overflow set that way. ledger.lua's add_label_usage.
    /// </summary>
    private long AddLabelUsage(IReadOnlyList<LabelUsage>? usage)
    {
        if (usage is null)
        {
            return 0;
        }

        long overflow = 0;
        foreach (var (labelSet, amount) in usage)
        {
            var key = labelSet;
            if (key != UsageLabels.Overflow && !_labelUsage.ContainsKey(key)
                && _labelUsage.Count - (_labelUsage.ContainsKey(UsageLabels.Overflow) ? 1 : 0) >= options.MaxLabelSets)
            {
                key = UsageLabels.Overflow;
                overflow += amount;
            }

            _labelUsage[key] = _labelUsage.GetValueOrDefault(key) + amount; // HINCRBY in Redis: 64-bit, like here
        }

        return overflow;
    }

    private void ReclaimExpiredLeases(DateTimeOffset now)
    {
        List<string>? expired = null;
        foreach (var (instance, lease) in _leases)
        {
            if (lease.ExpiresAt + options.ReclaimGrace <= now)
            {
                (expired ??= []).Add(instance);
            }
        }

        if (expired is null)
        {
            return;
        }

        expired.Sort(string.CompareOrdinal);
        foreach (var instance in expired)
        {
            var lease = _leases[instance];
            var ended = lease.EndedPeriodSlices();
            foreach (var grant in lease.GrantsInBurnOrder())
            {
                GiveBack(grant, lease.Slices[grant], now, ended);
            }

            _leases.Remove(instance);

            // The instance's record stays (its holder learns the lease was lost); the horizon starts now.
            if (_lastExchange.TryGetValue(instance, out var record))
            {
                StoreRecord(instance, record with { IdleSince = now });
            }
        }
    }

    /// <summary>
    /// Instance records (sequence and first answer, for retries) are kept while the instance holds a lease and for
    /// <see cref="CentralLedgerOptions.InstanceRecordHorizon"/> after it stopped holding one (returned or reclaimed);
    /// then they go, so the book does not grow with every sidecar start. Only read when the earliest record is due.
    /// </summary>
    private void ForgetIdleInstances(DateTimeOffset now)
    {
        if (_idleSinceMin is not { } earliestDue || earliestDue + options.InstanceRecordHorizon > now)
        {
            return;
        }

        DateTimeOffset? earliest = null;
        List<string>? forgotten = null;
        foreach (var (instance, record) in _lastExchange)
        {
            if (_leases.ContainsKey(instance) || record.IdleSince is not { } idleSince)
            {
                continue;
            }

            if (idleSince + options.InstanceRecordHorizon <= now)
            {
                (forgotten ??= []).Add(instance);
            }
            else if (earliest is null || idleSince < earliest)
            {
                earliest = idleSince;
            }
        }

        foreach (var instance in forgotten ?? [])
        {
            _lastExchange.Remove(instance);
        }

        _idleSinceMin = earliest;
    }

    /// <summary>
    /// Whether the ledger went back in time for this instance, and if so the usage it lost (null: it did not). It did when
    /// its record is older than the exchange the sidecar last saw it apply (<see cref="LeaseExchange.Acknowledged"/>), or
    /// when it has no record although that exchange was composed less than a horizon ago: a record is forgotten at the
    /// earliest a horizon after the instance's last exchange, so only a rollback explains its absence. Past that the two
    /// cannot be told apart and nothing is charged again (never twice). The loss is the sidecar's acknowledged total
    /// minus the record's (0 without a record); a total that is not larger (a record begun anew after the horizon) gives 0.
    /// </summary>
    private long? RolledBackUsage(LeaseExchange ex, LastExchange? record, DateTimeOffset now)
    {
        if (ex.Acknowledged == 0)
        {
            return null;
        }

        if (record is { } r)
        {
            return r.Sequence < ex.Acknowledged ? Math.Max(0, ex.AcknowledgedUsage - r.Result.UsedTotal) : null;
        }

        return ex.AcknowledgedAt is { } at && now < at + options.InstanceRecordHorizon ? ex.AcknowledgedUsage : null;
    }

    /// <summary>A usage total plus one report, begun anew at the report when it would pass 2^53 (exact in Lua doubles).</summary>
    private static long AddToTotal(long total, long used) => total > Validation.MaxAmount - used ? used : total + used;

    private void Renew(GrantRecord g, Recurrence recurrence, DateTimeOffset now)
    {
        var until = g.Spec.ExpiresAt is { } e && e <= now ? e.AddTicks(-1) : now;
        var index = recurrence.PeriodIndexAt(g.EffectiveAt, until);
        while (g.PeriodIndex < index && _granted + g.Spec.Amount <= Validation.MaxAccountTotal)
        {
            // Three states repeat the same period over and over; a run of k >= 2 of them is one step, so an idle grant's
            // missed periods cost bounded work (docs/design.md#renewal-run), of as many periods as fit under the total
            // cap and before the grant's expiry (index), with the balances, grant and entry totals of one by one.
            var amount = g.Spec.Amount;
            var fit = Math.Min(index - g.PeriodIndex, (Validation.MaxAccountTotal - _granted) / amount);
            if (g.Remaining == 0 && _debt >= amount)
            {
                // Debt: nothing carried in, each period renews `amount` and pays it all to debt (remaining stays 0).
                var run = Math.Min(fit, _debt / amount);
                if (run >= 2)
                {
                    var total = run * amount;
                    g.PeriodIndex += run;
                    g.Carried = 0;
                    _granted += total;
                    Append(now, LedgerEntryKind.Renewed, total, g.Id, "");
                    _debt -= total;
                    _consumed += total;
                    Append(now, LedgerEntryKind.OveragePaid, total, g.Id, "");
                    continue;
                }
            }
            else if (_debt == 0 && g.Remaining <= recurrence.RolloverMax)
            {
                // Climb: each period carries all of remaining (at most rollover_max at its boundary), expires nothing.
                var run = Math.Min(fit, ((recurrence.RolloverMax - g.Remaining) / amount) + 1);
                if (run >= 2)
                {
                    var total = run * amount;
                    g.PeriodIndex += run;
                    g.Carried = g.Remaining + total - amount;
                    g.Remaining += total;
                    _granted += total;
                    Append(now, LedgerEntryKind.Renewed, total, g.Id, "");
                    continue;
                }
            }
            else if (_debt == 0 && g.Remaining - amount == recurrence.RolloverMax && fit >= 2)
            {
                // Steady: each period expires `amount`, carries rollover_max and renews `amount`.
                var total = fit * amount;
                g.PeriodIndex += fit;
                g.Carried = recurrence.RolloverMax;
                _expired += total;
                Append(now, LedgerEntryKind.Expired, total, g.Id, "");
                _granted += total;
                Append(now, LedgerEntryKind.Renewed, total, g.Id, "");
                continue;
            }

            g.PeriodIndex++;
            var unused = g.Remaining;
            var kept = Math.Min(unused, recurrence.RolloverMax);
            if (unused - kept > 0)
            {
                _expired += unused - kept;
                Append(now, LedgerEntryKind.Expired, unused - kept, g.Id, "");
            }

            g.Remaining = kept + g.Spec.Amount;
            g.Carried = kept;
            _granted += g.Spec.Amount;
            Append(now, LedgerEntryKind.Renewed, g.Spec.Amount, g.Id, "");
            PayOffDebt(g, now);
        }
    }

    private void PayOffDebt(GrantRecord g, DateTimeOffset now)
    {
        var paid = Math.Min(_debt, g.Remaining);
        if (paid <= 0)
        {
            return;
        }

        _debt -= paid;
        g.Remaining -= paid;
        _consumed += paid;
        Append(now, LedgerEntryKind.OveragePaid, paid, g.Id, "");
    }

    private void ApplyUsage(LeaseRecord lease, long used, string source, DateTimeOffset now, HashSet<GrantRecord>? ended)
    {
        if (used == 0)
        {
            return;
        }

        long covered = 0;
        var left = used;
        foreach (var grant in lease.GrantsInUsageOrder(ended))
        {
            var x = Math.Min(left, lease.Slices[grant]);
            lease.TakeFrom(grant, x);
            covered += x;
            left -= x;
        }

        var fromAllowance = Math.Min(left, lease.Overage);
        lease.Overage -= fromAllowance;

        // Usage beyond the lease (a commit above its hold, or a lease lost to reclaim) draws central credits.
        left -= fromAllowance;
        foreach (var grant in _grants)
        {
            if (left == 0)
            {
                break;
            }

            if (grant.IsActive)
            {
                var x = Math.Min(left, grant.Remaining);
                grant.Remaining -= x;
                covered += x;
                left -= x;
            }
        }

        _consumed += covered;
        var overage = fromAllowance + left;
        _debt += overage;
        if (covered > 0)
        {
            Append(now, LedgerEntryKind.Consumed, covered, "", source);
        }

        if (overage > 0)
        {
            Append(now, LedgerEntryKind.Overage, overage, "", source);
        }
    }

    private void ReturnCredits(LeaseRecord lease, long amount, DateTimeOffset now, HashSet<GrantRecord>? ended)
    {
        if (amount <= 0)
        {
            return;
        }

        var grants = lease.GrantsInBurnOrder();
        for (var i = grants.Count - 1; i >= 0 && amount > 0; i--)
        {
            // Give back what burns last, so the lease keeps what should be spent first.
            var grant = grants[i];
            var x = Math.Min(amount, lease.Slices[grant]);
            lease.TakeFrom(grant, x);
            GiveBack(grant, x, now, ended);
            amount -= x;
        }
    }

    /// <summary>
    /// Takes back unused credits of voided or expired grants, and of a recurring grant's ended period. Credits held for
    /// open reservations are counted against those slices first (usage is charged to them first too), so only what
    /// exceeds the holds goes back.
    /// </summary>
    private long RevokeInactiveSlices(LeaseRecord lease, long held, DateTimeOffset now, HashSet<GrantRecord>? ended)
    {
        long inactive = 0;
        foreach (var (grant, amount) in lease.Slices)
        {
            if (!LeaseRecord.IsLive(grant, ended))
            {
                inactive += amount;
            }
        }

        var revocable = Math.Max(0, inactive - held);
        if (revocable <= 0)
        {
            return 0;
        }

        long revoked = 0;
        var grants = lease.GrantsInBurnOrder();
        for (var i = grants.Count - 1; i >= 0 && revocable > 0; i--)
        {
            var grant = grants[i];
            if (LeaseRecord.IsLive(grant, ended))
            {
                continue;
            }

            var x = Math.Min(revocable, lease.Slices[grant]);
            lease.TakeFrom(grant, x);
            GiveBack(grant, x, now, ended);
            revoked += x;
            revocable -= x;
        }

        return revoked;
    }

    /// <summary>
    /// Unused leased credits go back to their grant, or to voided/expired if the grant is gone. Credits of a recurring
    /// grant's ended period (<paramref name="ended"/>) are carried into the current period as far as the rollover
    /// maximum leaves room (with what the boundary carried); the rest expires.
    /// </summary>
    private void GiveBack(GrantRecord grant, long amount, DateTimeOffset now, HashSet<GrantRecord>? ended)
    {
        if (amount == 0)
        {
            return;
        }

        if (grant.IsActive && ended is not null && ended.Contains(grant))
        {
            var carried = Math.Min(amount, Math.Max(0, grant.Spec.Recurrence!.RolloverMax - grant.Carried));
            grant.Remaining += carried;
            grant.Carried += carried;
            if (amount - carried > 0)
            {
                _expired += amount - carried;
                Append(now, LedgerEntryKind.Expired, amount - carried, grant.Id, "");
            }
        }
        else if (grant.IsActive)
        {
            grant.Remaining += amount;
        }
        else if (grant.VoidedAt is not null)
        {
            _voided += amount;
            Append(now, LedgerEntryKind.Voided, amount, grant.Id, "");
        }
        else
        {
            _expired += amount;
            Append(now, LedgerEntryKind.Expired, amount, grant.Id, "");
        }
    }

    private long Take(LeaseRecord lease, string instance, long want, long min, bool overagePossible, DateTimeOffset now)
    {
        var available = Available();
        long holders = 1;
        foreach (var (other, l) in _leases)
        {
            if (other != instance && l.Credits > 0)
            {
                holders++;
            }
        }

        // At most a fair share and a fraction of what is left; near zero that is exactly what the request needs.
        // When overage may cover the rest, whatever credits are left are acceptable.
        var cap = Math.Max(1, Math.Min((long)(available * options.MaxLeaseShare), available / holders));
        if (overagePossible)
        {
            min = Math.Min(min, available);
        }

        var give = Math.Min(Math.Min(want, Math.Max(min, cap)), available);
        if (give <= 0 || give < min)
        {
            if (holders > 1)
            {
                _reclaimRequestedAt = now;
            }

            return 0;
        }

        var left = give;
        foreach (var g in _grants)
        {
            if (left == 0)
            {
                break;
            }

            if (g.IsActive && g.Remaining > 0)
            {
                var x = Math.Min(left, g.Remaining);
                g.Remaining -= x;
                lease.Slices[g] = lease.Slices.GetValueOrDefault(g) + x;
                left -= x;
            }
        }

        return give;
    }

    private DateTimeOffset LeaseExpiry(LeaseRecord lease, DateTimeOffset now)
    {
        var expiry = now + options.LeaseTtl;
        foreach (var grant in lease.Slices.Keys)
        {
            // Slices of inactive grants stay only for credits already held; they do not shorten the lease.
            if (!grant.IsActive)
            {
                continue;
            }

            if (grant.Spec.ExpiresAt is { } e && e < expiry)
            {
                expiry = e;
            }

            // A recurring grant's credits are spendable in their own period only: the lease ends at its next boundary,
            // so a rate cap holds across sidecars (docs/design.md#lease-expiry). A boundary not yet renewed (the total
            // cap held it back) does not end it.
            if (grant.Spec.Recurrence is { } r && r.BoundaryAt(grant.EffectiveAt, grant.PeriodIndex + 1) is var next && next > now && next < expiry)
            {
                expiry = next;
            }
        }

        return expiry;
    }

    private long Available()
    {
        long sum = 0;
        foreach (var g in _grants)
        {
            if (g.IsActive)
            {
                sum += g.Remaining;
            }
        }

        return sum;
    }

    private long OverageHeadroom()
    {
        if (Policy.OverageMode != OverageMode.Soft)
        {
            return 0;
        }

        long out_ = 0;
        foreach (var lease in _leases.Values)
        {
            out_ += lease.Overage;
        }

        return Math.Max(0, Policy.OverageLimit - _debt - out_);
    }

    private bool ReclaimPending(DateTimeOffset now) =>
        _reclaimRequestedAt is { } at && now < at + options.ReclaimWindow;

    /// <summary>The answer to an exchange that changes nothing: a stale sequence, or (instanceExpired) one refused past the
    /// instance record horizon, which also tells the sidecar its lease is gone.</summary>
    private LeaseExchangeResult Snapshot(string instance, DateTimeOffset now, bool instanceExpired, long usedTotal)
    {
        _leases.TryGetValue(instance, out var lease);
        return new LeaseExchangeResult(
            true, Policy, 0, 0, 0, instanceExpired, lease?.Credits ?? 0, lease?.ExpiresAt ?? now, Available(),
            OverageHeadroom(), ReclaimPending(now))
        {
            InstanceExpired = instanceExpired,
            UsedTotal = usedTotal,
            LeaseOverage = lease?.Overage ?? 0,
        };
    }

    private LeaseExchangeResult WithCurrentParent(LeaseExchangeResult result) =>
        result.Policy is { } recorded && !string.Equals(recorded.ParentId, Policy.ParentId, StringComparison.Ordinal)
            ? result with { Policy = recorded with { ParentId = Policy.ParentId } }
            : result;

    private void StoreRecord(string instance, LastExchange record)
    {
        _lastExchange[instance] = record;
        if (record.IdleSince is { } idleSince && (_idleSinceMin is null || idleSince < _idleSinceMin))
        {
            _idleSinceMin = idleSince;
        }
    }

    private void Append(DateTimeOffset now, LedgerEntryKind kind, long amount, string grantId, string source)
    {
        var id = (++_nextEntry).ToString("D16", CultureInfo.InvariantCulture);
        _entries.Add(new LedgerEntry(id, now, kind, amount, grantId, source));
        if (_entries.Count > options.MaxLedgerEntries)
        {
            _entries.RemoveRange(0, _entries.Count - options.MaxLedgerEntries);
        }
    }

    /// <summary>What the book keeps per instance: the last sequence applied and its first answer (with the instance's usage
    /// total, <see cref="LeaseExchangeResult.UsedTotal"/>), whether the instance held a lease after it, and since when it
    /// holds none (null while it holds one).</summary>
    private readonly record struct LastExchange(long Sequence, LeaseExchangeResult Result, bool HadLease, DateTimeOffset? IdleSince);
}
