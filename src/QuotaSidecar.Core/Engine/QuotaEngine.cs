using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Holds;
using QuotaSidecar.Core.Leases;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Engine;

/// <summary>
/// The hot path (docs/design.md §3): Reserve, Commit, Release and Consume against per-account local leases. When the
/// lease covers a request the answer is computed under the account's lock with no I/O and completes synchronously;
/// only when it does not does a Reserve wait for the store. Background work (refill, settle) runs in
/// <see cref="RunAsync"/>.
/// </summary>
public sealed partial class QuotaEngine : IAsyncDisposable
{
    // The default string comparer is already ordinal, and measured 1.25-1.7x faster than an explicit one here.
    private readonly ConcurrentDictionary<string, LocalAccount> _accounts = new();
    private readonly ConcurrentDictionary<string, Hold> _holds = new();
    private readonly ConcurrentDictionary<string, Hold> _consumes = new();
    private readonly ConcurrentQueue<Hold> _retention = new();
    private readonly Channel<LocalAccount> _refills = Channel.CreateUnbounded<LocalAccount>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ICentralLedger _ledger;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly EngineMetrics _metrics;
    private readonly ILogger _logger;
    private readonly LeaseKeeper _leases;
    private readonly long _defaultTtlTicks;
    private readonly long _maxTtlTicks;
    private readonly long _retentionTicks;
    private readonly string _idPrefix;
    private long _nextId;
    private long _openHolds;

    public QuotaEngine(ICentralLedger ledger, EngineOptions options, TimeProvider? time = null, EngineMetrics? metrics = null, ILogger<QuotaEngine>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _ledger = ledger;
        _options = options;
        _time = time ?? TimeProvider.System;
        _metrics = metrics ?? new EngineMetrics();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _leases = new LeaseKeeper(ledger, options, _time, _metrics, _logger);
        _defaultTtlTicks = options.DefaultHoldTtl.Ticks;
        _maxTtlTicks = options.MaxHoldTtl.Ticks;
        _retentionTicks = options.EffectiveIdempotencyWindow.Ticks;
        _idPrefix = "r-" + options.InstanceId + "-";
        _metrics.Meter.CreateObservableGauge("quota.holds.open", () => Interlocked.Read(ref _openHolds), "{hold}", "Open holds on this sidecar.");
        _metrics.Meter.CreateObservableGauge("quota.credits.at_risk", CreditsAtRisk, "{credit}", "Committed usage not yet reported to the store (lost if the process dies).");
        _metrics.Meter.CreateObservableGauge("quota.store.available", () => _leases.StoreAvailable ? 1 : 0, "{bool}", "1 while the central store answers.");
        _metrics.Meter.CreateObservableGauge("quota.accounts.active", () => (long)_accounts.Count, "{account}", "Accounts with local state on this sidecar.");
    }

    /// <summary>This sidecar's instance id.</summary>
    public string InstanceId => _options.InstanceId;

    /// <summary>Whether the central store answered the last exchange.</summary>
    public bool StoreAvailable => _leases.StoreAvailable;

    /// <summary>Open holds on this sidecar.</summary>
    public long OpenHolds => Interlocked.Read(ref _openHolds);

    /// <summary>Accounts with local state.</summary>
    public int ActiveAccounts => _accounts.Count;

    /// <summary>
    /// Holds <paramref name="amount"/> credits of <paramref name="accountId"/>. A denial is a result, not an error.
    /// Errors (<see cref="QuotaException"/>): InvalidArgument for malformed input, AlreadyExists when
    /// <paramref name="reservationId"/> was used with other parameters.
    /// </summary>
    /// <param name="amount">Credits, 1..2^53.</param>
    /// <param name="reservationId">Optional idempotency key (at most 128 printable ASCII characters); empty: one is made.</param>
    /// <param name="ttl">Optional hold lifetime, 1 ms..MaxHoldTtl; null: DefaultHoldTtl.</param>
    public ValueTask<ReserveResult> ReserveAsync(string accountId, long amount, string? reservationId = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        Validation.PositiveAmount(amount, "amount");
        Validation.OptionalId(reservationId, "reservation_id");
        var ttlTicks = TtlTicks(ttl);
        if (!string.IsNullOrEmpty(reservationId) && _holds.TryGetValue(reservationId, out var existing))
        {
            return new ValueTask<ReserveResult>(Replay(existing, accountId, amount, ttlTicks));
        }

        if (_accounts.TryGetValue(accountId, out var account) && account.Known
            && TryReserveLocal(account, amount, reservationId, ttlTicks, out var result))
        {
            return new ValueTask<ReserveResult>(result);
        }

        return ReserveSlowAsync(accountId, amount, reservationId, ttlTicks, cancellationToken);
    }

    /// <summary>
    /// Charges <paramref name="amount"/> (the actual usage, 0..2^53) to a hold: less than held gives the rest back;
    /// more draws the excess from the lease, then from overage (usage is never dropped). Repeating it returns the
    /// first result. Errors: NotFound (unknown id), FailedPrecondition (released, expired, denied, or committed
    /// with another amount).
    /// </summary>
    public CommitResult Commit(string reservationId, long amount)
    {
        Validation.RequiredId(reservationId, "reservation_id");
        Validation.NonNegativeAmount(amount, "amount");
        var hold = FindHold(reservationId);
        var account = hold.Account;
        lock (account.Gate)
        {
            var now = _time.GetUtcNow().UtcTicks;
            ExpireIfDue(hold, now);
            switch (hold.State)
            {
                case HoldState.Committed when hold.Committed == amount:
                    return new CommitResult(hold.Committed, hold.Released, hold.Overage, hold.FinalBalanceHint);
                case HoldState.Committed:
                    throw QuotaException.Precondition($"reservation '{reservationId}' was already committed with amount {hold.Committed} (got {amount})");
                case HoldState.Released:
                    throw QuotaException.Precondition($"reservation '{reservationId}' was released; reserve again");
                case HoldState.Expired:
                    throw QuotaException.Precondition($"reservation '{reservationId}' expired; reserve again (or commit sooner / ask for a longer ttl)");
                case HoldState.Denied:
                    throw QuotaException.Precondition($"reservation '{reservationId}' was denied ({hold.DenyReason}); nothing to commit");
            }

            // Charge the hold's lease credits first, then its overage part, then its fail-open part; anything above
            // the hold draws the lease, then the overage allowance, and the rest is unbacked, reported like any usage.
            var fromCredits = Math.Min(amount, hold.Credits);
            var fromOverage = Math.Min(amount - fromCredits, hold.OverageCredits);
            var fromUnbacked = Math.Min(amount - fromCredits - fromOverage, hold.Unbacked);
            var excess = amount - fromCredits - fromOverage - fromUnbacked;
            var extraCredits = Math.Min(excess, account.Free);
            var extraOverage = Math.Min(excess - extraCredits, account.OverageFree);
            account.Free += hold.Credits - fromCredits - extraCredits;
            account.OverageFree += hold.OverageCredits - fromOverage - extraOverage;
            account.Held -= hold.Total;
            account.HeldCredits -= hold.Credits;
            account.Unreported += amount;
            account.UsedSinceSample += amount;
            account.Unlink(hold);
            Interlocked.Decrement(ref _openHolds);

            // What the lease cannot back is charged centrally at the next settle: to central credits if any are
            // left (as last seen), the rest as debt.
            var unbacked = fromUnbacked + excess - extraCredits - extraOverage;
            var centrallyCovered = Math.Min(unbacked, account.CentralAvailable);
            account.CentralAvailable -= centrallyCovered;

            hold.State = HoldState.Committed;
            hold.Committed = amount;
            hold.Released = hold.Total - fromCredits - fromOverage - fromUnbacked;
            hold.Overage = fromOverage + extraOverage + unbacked - centrallyCovered;
            hold.FinalBalanceHint = account.BalanceHint;
            if (account.Free < _leases.LowWatermark(account))
            {
                ScheduleRefill(account);
            }

            return new CommitResult(amount, hold.Released, hold.Overage, hold.FinalBalanceHint);
        }
    }

    /// <summary>Gives a hold's credits back. Repeating it (or releasing an expired hold) returns the released amount.
    /// Errors: NotFound (unknown id), FailedPrecondition (already committed, or denied).</summary>
    public ReleaseResult Release(string reservationId)
    {
        Validation.RequiredId(reservationId, "reservation_id");
        var hold = FindHold(reservationId);
        var account = hold.Account;
        lock (account.Gate)
        {
            ExpireIfDue(hold, _time.GetUtcNow().UtcTicks);
            switch (hold.State)
            {
                case HoldState.Open:
                    account.ReturnHold(hold, HoldState.Released);
                    Interlocked.Decrement(ref _openHolds);
                    hold.FinalBalanceHint = account.BalanceHint;
                    return new ReleaseResult(hold.Released, hold.FinalBalanceHint);
                case HoldState.Released or HoldState.Expired:
                    return new ReleaseResult(hold.Released, account.BalanceHint);
                case HoldState.Committed:
                    throw QuotaException.Precondition($"reservation '{reservationId}' was already committed ({hold.Committed} credits); it cannot be released");
                default:
                    throw QuotaException.Precondition($"reservation '{reservationId}' was denied ({hold.DenyReason}); nothing to release");
            }
        }
    }

    /// <summary>Reserve and Commit of the same amount in one step. Idempotent on <paramref name="requestId"/> when given.</summary>
    public ValueTask<ConsumeResult> ConsumeAsync(string accountId, long amount, string? requestId = null, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        Validation.PositiveAmount(amount, "amount");
        Validation.OptionalId(requestId, "request_id");
        if (!string.IsNullOrEmpty(requestId))
        {
            return ConsumeOnceAsync(accountId, amount, requestId, cancellationToken);
        }

        if (_accounts.TryGetValue(accountId, out var account) && account.Known
            && TryConsumeLocal(account, amount, out var result))
        {
            return new ValueTask<ConsumeResult>(result);
        }

        return ConsumeSlowAsync(accountId, amount, cancellationToken);
    }

    /// <summary>This sidecar's view of an account. <paramref name="consistent"/>: exchange with the store first.
    /// Errors: NotFound for an unknown account.</summary>
    public async ValueTask<BalanceView> GetBalanceAsync(string accountId, bool consistent = false, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        var (account, synced) = await LoadAsync(accountId, default, cancellationToken);
        if (account is not null && consistent && !synced)
        {
            await _leases.SyncAsync(account, default, cancellationToken);
        }

        if (account is null || !account.Known)
        {
            throw QuotaException.NotFound($"account '{accountId}' not found");
        }

        lock (account.Gate)
        {
            if (account.SweepExpired(_time.GetUtcNow().UtcTicks) is var n && n > 0)
            {
                Interlocked.Add(ref _openHolds, -n);
            }

            var headroom = account.IsSoft ? account.OverageFree + account.CentralOverageHeadroom : 0;
            return new BalanceView(
                account.Id, account.BalanceHint, account.Held, headroom, account.IsLowBalance,
                new DateTimeOffset(account.CentralAsOfTicks, TimeSpan.Zero));
        }
    }

    /// <summary>Applies a policy change made through this sidecar at once (others learn it at their next settle).</summary>
    public void ApplyPolicy(AccountPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (_accounts.TryGetValue(policy.AccountId, out var account))
        {
            lock (account.Gate)
            {
                account.Policy = policy;
            }
        }
    }

    /// <summary>Usage committed on this sidecar and not yet acknowledged by the store (for tests and the shutdown log).</summary>
    internal long UnreportedUsage(string accountId)
    {
        if (!_accounts.TryGetValue(accountId, out var account))
        {
            return 0;
        }

        lock (account.Gate)
        {
            return account.Unreported + (account.InFlight?.Used ?? 0);
        }
    }

    /// <summary>The local state of an account in one line, for test failure messages and debugging.</summary>
    internal string Describe(string accountId)
    {
        if (!_accounts.TryGetValue(accountId, out var a))
        {
            return $"{accountId}: no local state";
        }

        lock (a.Gate)
        {
            var now = _time.GetUtcNow().UtcTicks;
            return $"{accountId}: free={a.Free} overageFree={a.OverageFree} held={a.Held} heldCredits={a.HeldCredits} " +
                $"unreported={a.Unreported} seq={a.Sequence} leaseExpiresIn={TimeSpan.FromTicks(a.LeaseExpiresTicks - now)} " +
                $"central={a.CentralAvailable} rate={a.Rate:F1} reclaim={a.ReclaimRequested}/{a.ReclaimFlagSeen} known={a.Known}";
        }
    }

    private bool TryReserveLocal(LocalAccount account, long amount, string? reservationId, long ttlTicks, out ReserveResult result)
    {
        Hold? replay = null;
        lock (account.Gate)
        {
            if (account.Evicted)
            {
                result = default;
                return false;
            }

            var now = _time.GetUtcNow().UtcTicks;
            SweepIfDue(account, now);
            if (account.IsSuspended)
            {
                result = Deny(account, reservationId, amount, ttlTicks, now, DenyReason.AccountSuspended);
                return true;
            }

            if (!account.LeaseUsable(now) || account.Free + account.OverageFree < amount)
            {
                result = default;
                return false;
            }

            var hold = new Hold(reservationId is { Length: > 0 } ? reservationId : NewId(), account, amount, ttlTicks, now);
            if (!_holds.TryAdd(hold.Id, hold))
            {
                replay = _holds[hold.Id];
            }
            else
            {
                hold.Credits = Math.Min(amount, account.Free);
                hold.OverageCredits = amount - hold.Credits;
                account.Free -= hold.Credits;
                account.OverageFree -= hold.OverageCredits;
                account.Held += amount;
                account.HeldCredits += hold.Credits;
                account.LastUseTicks = now;
                account.Link(hold);
                hold.State = HoldState.Open;
                hold.BalanceHint = account.BalanceHint;
                hold.LowBalance = account.IsLowBalance;
                _retention.Enqueue(hold);
                Interlocked.Increment(ref _openHolds);
                if (account.Free < _leases.LowWatermark(account))
                {
                    ScheduleRefill(account);
                }

                _metrics.Decision(Decision.Granted, DenyReason.None);
                result = Granted(hold);
                return true;
            }
        }

        result = Replay(replay, account.Id, amount, ttlTicks);
        return true;
    }

    private async ValueTask<ReserveResult> ReserveSlowAsync(string accountId, long amount, string? reservationId, long ttlTicks, CancellationToken cancellationToken)
    {
        var (account, synced) = await LoadForReserveAsync(accountId, amount, cancellationToken);
        if (account is null && synced && !_leases.StoreAvailable)
        {
            _metrics.Decision(Decision.Denied, DenyReason.StoreUnavailable);
            return new ReserveResult(Decision.Denied, DenyReason.StoreUnavailable, reservationId ?? "", 0, default, 0, false, false);
        }

        if (account is null)
        {
            _metrics.Decision(Decision.Denied, DenyReason.UnknownAccount);
            return new ReserveResult(Decision.Denied, DenyReason.UnknownAccount, reservationId ?? "", 0, default, 0, false, false);
        }

        bool waitedForReclaim = false, askedOverage = false;
        var creditSyncs = synced ? 1 : 0;
        while (true)
        {
            if (TryReserveLocal(account, amount, reservationId, ttlTicks, out var result))
            {
                return result;
            }

            if (IsEvicted(account))
            {
                // Forgotten by the idle eviction meanwhile: continue on the account's new local state.
                (account, _) = await LoadForReserveAsync(accountId, amount, cancellationToken);
                if (account is null)
                {
                    _metrics.Decision(Decision.Denied, DenyReason.UnknownAccount);
                    return new ReserveResult(Decision.Denied, DenyReason.UnknownAccount, reservationId ?? "", 0, default, 0, false, false);
                }

                continue;
            }

            // Ask the store for credits; if it says others hold unused ones, give them one settle to return them;
            // only then (SOFT accounts) for overage allowance.
            SyncIntent intent;
            if (!synced || (creditSyncs < 3 && CentralMayCover(account, amount)))
            {
                // Also again when the last exchange revoked credits the request counted on (a void or expiry)
                // while central credits still cover it.
                creditSyncs++;
                intent = new SyncIntent(Need: amount);
            }
            else if (!waitedForReclaim && ReclaimFlagged(account))
            {
                waitedForReclaim = true;
                await Task.Delay(_options.ReclaimWait, _time, cancellationToken);
                intent = new SyncIntent(Need: amount);
            }
            else if (!askedOverage && account.IsSoft)
            {
                askedOverage = true;
                long free;
                lock (account.Gate)
                {
                    free = account.Free;
                }

                intent = new SyncIntent(Need: amount, OverageNeed: amount - free);
            }
            else
            {
                return DenyLocked(account, reservationId, amount, ttlTicks, DenyReason.InsufficientCredits);
            }

            synced = true;
            var outcome = await _leases.SyncAsync(account, intent, cancellationToken);
            if (outcome == SyncOutcome.UnknownAccount)
            {
                RemoveIfUnknown(account);
                _metrics.Decision(Decision.Denied, DenyReason.UnknownAccount);
                return new ReserveResult(Decision.Denied, DenyReason.UnknownAccount, reservationId ?? "", 0, default, 0, false, false);
            }

            if (outcome == SyncOutcome.StoreUnavailable)
            {
                return TryFailOpen(account, amount, reservationId, ttlTicks, out var open)
                    ? open
                    : DenyLocked(account, reservationId, amount, ttlTicks, DenyReason.StoreUnavailable);
            }
        }
    }

    /// <summary>LoadAsync for the Reserve path: a store that cannot be reached is (null, true) with the store marked
    /// unavailable, so the caller denies with STORE_UNAVAILABLE rather than UNKNOWN_ACCOUNT.</summary>
    private async ValueTask<(LocalAccount? Account, bool Synced)> LoadForReserveAsync(string accountId, long amount, CancellationToken cancellationToken)
    {
        try
        {
            return await LoadAsync(accountId, new SyncIntent(Need: amount), cancellationToken);
        }
        catch (QuotaException e) when (e.Error == QuotaError.Unavailable && !_leases.StoreAvailable)
        {
            return (null, true);
        }
    }

    private static bool IsEvicted(LocalAccount account)
    {
        lock (account.Gate)
        {
            return account.Evicted;
        }
    }

    private static bool CentralMayCover(LocalAccount account, long amount)
    {
        lock (account.Gate)
        {
            return account.BalanceHint >= amount;
        }
    }

    private bool ReclaimFlagged(LocalAccount account)
    {
        lock (account.Gate)
        {
            return account.ReclaimFlagSeen && _options.ReclaimWait > TimeSpan.Zero;
        }
    }

    private bool TryConsumeLocal(LocalAccount account, long amount, out ConsumeResult result)
    {
        lock (account.Gate)
        {
            if (account.Evicted)
            {
                result = default;
                return false;
            }

            var now = _time.GetUtcNow().UtcTicks;
            SweepIfDue(account, now);
            if (account.IsSuspended)
            {
                _metrics.Decision(Decision.Denied, DenyReason.AccountSuspended);
                result = new ConsumeResult(Decision.Denied, DenyReason.AccountSuspended, account.BalanceHint, account.IsLowBalance, false);
                return true;
            }

            if (!account.LeaseUsable(now) || account.Free < amount)
            {
                result = default;
                return false;
            }

            account.Free -= amount;
            account.Unreported += amount;
            account.UsedSinceSample += amount;
            account.LastUseTicks = now;
            if (account.Free < _leases.LowWatermark(account))
            {
                ScheduleRefill(account);
            }

            _metrics.Decision(Decision.Granted, DenyReason.None);
            result = new ConsumeResult(Decision.Granted, DenyReason.None, account.BalanceHint, account.IsLowBalance, false);
            return true;
        }
    }

    private async ValueTask<ConsumeResult> ConsumeSlowAsync(string accountId, long amount, CancellationToken cancellationToken)
    {
        // A Consume is a Reserve and Commit of one amount; the slow path reuses the Reserve's, with a private id.
        var reserved = await ReserveSlowAsync(accountId, amount, null, _defaultTtlTicks, cancellationToken);
        if (reserved.Decision != Decision.Granted)
        {
            return new ConsumeResult(reserved.Decision, reserved.DenyReason, reserved.BalanceHint, reserved.LowBalance, false);
        }

        var committed = Commit(reserved.ReservationId, amount);
        _holds.TryRemove(reserved.ReservationId, out _);
        return new ConsumeResult(Decision.Granted, DenyReason.None, committed.BalanceHint, reserved.LowBalance, reserved.Overage);
    }

    private async ValueTask<ConsumeResult> ConsumeOnceAsync(string accountId, long amount, string requestId, CancellationToken cancellationToken)
    {
        if (_consumes.TryGetValue(requestId, out var seen))
        {
            if (seen.Account.Id != accountId || seen.Requested != amount)
            {
                throw QuotaException.Exists($"request_id '{requestId}' was used for {seen.Requested} credits of account '{seen.Account.Id}'; use a new request_id");
            }

            return new ConsumeResult(seen.State == HoldState.Committed ? Decision.Granted : Decision.Denied, seen.DenyReason, seen.BalanceHint, seen.LowBalance, seen.Overage > 0);
        }

        var result = _accounts.TryGetValue(accountId, out var account) && account.Known && TryConsumeLocal(account, amount, out var local)
            ? local
            : await ConsumeSlowAsync(accountId, amount, cancellationToken);
        if (_accounts.TryGetValue(accountId, out account))
        {
            var record = new Hold(requestId, account, amount, 0, _time.GetUtcNow().UtcTicks)
            {
                State = result.Decision == Decision.Granted ? HoldState.Committed : HoldState.Denied,
                DenyReason = result.DenyReason,
                BalanceHint = result.BalanceHint,
                LowBalance = result.LowBalance,
                Committed = result.Decision == Decision.Granted ? amount : 0,
                Overage = result.Overage ? 1 : 0,
            };
            if (_consumes.TryAdd(requestId, record))
            {
                _retention.Enqueue(record);
            }
        }

        return result;
    }

    private bool TryFailOpen(LocalAccount account, long amount, string? reservationId, long ttlTicks, out ReserveResult result)
    {
        lock (account.Gate)
        {
            if (_options.FailOpenAllowance - account.FailOpenUsed < amount || account.IsSuspended)
            {
                result = default;
                return false;
            }

            // Granted beyond the lease: the hold has no credits behind it, so its usage is reported as overage
            // unless central credits cover it when the store returns.
            var now = _time.GetUtcNow().UtcTicks;
            var hold = new Hold(reservationId is { Length: > 0 } ? reservationId : NewId(), account, amount, ttlTicks, now);
            if (!_holds.TryAdd(hold.Id, hold))
            {
                result = default;
                return false;
            }

            account.FailOpenUsed += amount;
            account.Held += amount;
            hold.Unbacked = amount;
            account.Link(hold);
            hold.State = HoldState.Open;
            hold.BalanceHint = account.BalanceHint;
            _retention.Enqueue(hold);
            Interlocked.Increment(ref _openHolds);
            _metrics.Decision(Decision.Granted, DenyReason.None);
            result = Granted(hold);
            return true;
        }
    }

    /// <summary>The account's local state, loading it from the store when this sidecar has none yet. Null when the
    /// store says it does not exist. Unknown ids leave nothing behind.</summary>
    /// <summary>The account's local state, loading it from the store when this sidecar has none yet (Synced: an
    /// exchange was made). Null when the store says it does not exist; unknown ids leave nothing behind.</summary>
    private async ValueTask<(LocalAccount? Account, bool Synced)> LoadAsync(string accountId, SyncIntent intent, CancellationToken cancellationToken)
    {
        // Born "used now", so the idle eviction cannot forget it before its first exchange.
        var account = _accounts.GetOrAdd(accountId, static (id, now) => new LocalAccount(id) { LastUseTicks = now }, _time.GetUtcNow().UtcTicks);
        if (account.Known)
        {
            return (account, false);
        }

        var outcome = await _leases.SyncAsync(account, intent, cancellationToken);
        if (outcome == SyncOutcome.StoreUnavailable)
        {
            RemoveIfUnknown(account);
            throw new QuotaException("the central store is unreachable and this sidecar has no state for the account yet; retry", new InvalidOperationException("store unavailable"));
        }

        if (outcome == SyncOutcome.UnknownAccount || !account.Known)
        {
            RemoveIfUnknown(account);
            return (null, true);
        }

        return (account, true);
    }

    private void RemoveIfUnknown(LocalAccount account)
    {
        lock (account.Gate)
        {
            if (account.Known || account.OpenHoldCount > 0 || account.Unreported > 0 || account.Free > 0)
            {
                return;
            }
        }

        _accounts.TryRemove(new KeyValuePair<string, LocalAccount>(account.Id, account));
    }

    private ReserveResult Replay(Hold? hold, string accountId, long amount, long ttlTicks)
    {
        if (hold is null)
        {
            throw new QuotaException(QuotaError.Unavailable, "a Reserve with this reservation_id is in progress; retry");
        }

        if (hold.Account.Id != accountId || hold.Requested != amount || hold.TtlTicks != ttlTicks)
        {
            throw QuotaException.Exists(
                $"reservation_id '{hold.Id}' was used for {hold.Requested} credits of account '{hold.Account.Id}' " +
                $"with ttl {TimeSpan.FromTicks(hold.TtlTicks)}; use a new reservation_id");
        }

        lock (hold.Account.Gate)
        {
            return hold.State == HoldState.Denied
                ? new ReserveResult(Decision.Denied, hold.DenyReason, hold.Id, 0, default, hold.BalanceHint, hold.LowBalance, false)
                : Granted(hold);
        }
    }

    private static ReserveResult Granted(Hold hold) => new(
        Decision.Granted, DenyReason.None, hold.Id, hold.Requested,
        new DateTimeOffset(hold.ExpiresTicks, TimeSpan.Zero), hold.BalanceHint, hold.LowBalance, hold.OverageCredits > 0);

    private ReserveResult DenyLocked(LocalAccount account, string? reservationId, long amount, long ttlTicks, DenyReason reason)
    {
        lock (account.Gate)
        {
            return Deny(account, reservationId, amount, ttlTicks, _time.GetUtcNow().UtcTicks, reason);
        }
    }

    /// <summary>Records a denial; with a client-chosen id it is remembered so a retry gets the same answer.</summary>
    private ReserveResult Deny(LocalAccount account, string? reservationId, long amount, long ttlTicks, long now, DenyReason reason)
    {
        _metrics.Decision(Decision.Denied, reason);
        if (!string.IsNullOrEmpty(reservationId))
        {
            var hold = new Hold(reservationId, account, amount, ttlTicks, now)
            {
                State = HoldState.Denied,
                DenyReason = reason,
                BalanceHint = account.BalanceHint,
                LowBalance = account.IsLowBalance,
            };
            if (_holds.TryAdd(reservationId, hold))
            {
                _retention.Enqueue(hold);
            }
        }

        return new ReserveResult(Decision.Denied, reason, reservationId ?? "", 0, default, account.BalanceHint, account.IsLowBalance, false);
    }

    private Hold FindHold(string reservationId) =>
        _holds.TryGetValue(reservationId, out var hold)
            ? hold
            : throw QuotaException.NotFound($"reservation '{reservationId}' not found (unknown, or older than the idempotency window)");

    private void ExpireIfDue(Hold hold, long now)
    {
        if (hold.State == HoldState.Open && hold.ExpiresTicks <= now)
        {
            hold.Account.ReturnHold(hold, HoldState.Expired);
            Interlocked.Decrement(ref _openHolds);
        }
    }

    private void SweepIfDue(LocalAccount account, long now)
    {
        var expired = account.SweepExpired(now);
        if (expired > 0)
        {
            Interlocked.Add(ref _openHolds, -expired);
        }
    }

    private void ScheduleRefill(LocalAccount account)
    {
        if (Interlocked.Exchange(ref account.RefillQueued, 1) == 0)
        {
            _refills.Writer.TryWrite(account);
        }
    }

    private long TtlTicks(TimeSpan? ttl)
    {
        if (ttl is not { } value)
        {
            return _defaultTtlTicks;
        }

        if (value < TimeSpan.FromMilliseconds(1) || value.Ticks > _maxTtlTicks)
        {
            throw QuotaException.Invalid($"ttl must be between 1ms and {_options.MaxHoldTtl} (got {value})");
        }

        return value.Ticks;
    }

    private string NewId() =>
        string.Create(CultureInfo.InvariantCulture, $"{_idPrefix}{Interlocked.Increment(ref _nextId):x}");

    private long CreditsAtRisk()
    {
        long sum = 0;
        foreach (var (_, account) in _accounts)
        {
            sum += account.Unreported + (account.InFlight?.Used ?? 0);
        }

        return sum;
    }
}
