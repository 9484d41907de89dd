using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Holds;
using QuotaSidecar.Core.Journal;
using QuotaSidecar.Core.Leases;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Settlement;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Engine;

/// <summary>
/// The API of the hot path (docs/design.md §3): Reserve, Commit, Release, Consume and GetBalance against
/// per-account local leases. It validates, keeps the idempotency records and opens and closes holds; the lease
/// arithmetic is the account's (<see cref="LocalAccount"/>), what to do when the lease falls short is
/// <see cref="ShortfallPolicy"/>'s, and exchanges with the store are the <see cref="Settler"/>'s and
/// <see cref="LeaseExchanger"/>'s. When the lease covers a request the answer is computed under the account's lock
/// with no I/O and completes synchronously.
/// </summary>
public sealed partial class QuotaEngine : IAsyncDisposable
{
    private readonly AccountTable _accounts;
    private readonly HoldTable _holds;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly EngineMetrics _metrics;
    private readonly LeaseSizing _sizing;
    private readonly StoreBreakers _breakers;
    private readonly IStoreConnectionEvents? _connection;
    private readonly LeaseExchanger _exchanger;
    private readonly long _defaultTtlTicks;
    private readonly long _maxTtlTicks;

    /// <param name="journal">The usage journal, or null for none (docs/design.md §4b); its instance id must be
    /// <paramref name="options"/>' <see cref="EngineOptions.InstanceId"/>.</param>
    /// <param name="usageSink">Told about every exchange the store applied (the usage export); null: none.</param>
    public QuotaEngine(ICentralLedger ledger, EngineOptions options, TimeProvider? time = null, EngineMetrics? metrics = null, ILogger<QuotaEngine>? logger = null, UsageJournal? journal = null, IUsageSink? usageSink = null)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (journal is not null && journal.InstanceId != options.InstanceId)
        {
            throw new ArgumentException($"the journal belongs to instance {journal.InstanceId}, the engine is {options.InstanceId}", nameof(journal));
        }

        _options = options;
        _time = time ?? TimeProvider.System;
        _metrics = metrics ?? new EngineMetrics();
        var log = (ILogger?)logger ?? NullLogger.Instance;
        _holds = new HoldTable(
            options.InstanceId, options.IdempotencyWindow.Ticks, options.MaxIdempotencyRecords, options.SidecarIdRecords,
            new IdempotencyMetrics(_metrics, log, options.IdempotencyWindow, options.MaxIdempotencyRecords));
        _accounts = new AccountTable(_holds, journal, options.MaxLabelSets);
        _sizing = new LeaseSizing(options);
        _breakers = new StoreBreakers(ledger as IStoreShards, _time, options.SettleInterval, Settler.MaxBackoff, 2 * options.ExchangeTimeout, _metrics, log);
        _exchanger = new LeaseExchanger(_accounts, ledger, options, _sizing, _breakers, _time, _metrics, log)
        {
            Attribution = new UsageAttribution(_metrics, log, usageSink),
        };
        Settler = new Settler(_accounts, _holds, _exchanger, _sizing, _breakers, options, _time, _metrics, log);
        _connection = ledger as IStoreConnectionEvents;
        if (_connection is not null)
        {
            _connection.ConnectionLost += _breakers.ConnectionLost;
            _connection.ConnectionRestored += _breakers.ConnectionRestored;
        }

        _defaultTtlTicks = options.DefaultHoldTtl.Ticks;
        _maxTtlTicks = options.MaxHoldTtl.Ticks;
        _metrics.Meter.CreateObservableGauge("quota.holds.open", _accounts.OpenHolds, "{hold}", "Open holds on this sidecar.");
        _metrics.Meter.CreateObservableGauge("quota.credits.at_risk", _accounts.UsageAtRisk, "{credit}", "Committed usage not yet reported to the store (lost if the process dies).");
        _metrics.Meter.CreateObservableGauge("quota.store.available", () => _breakers.Closed ? 1 : 0, "{bool}", "1 while the whole central store answers (every shard's breaker is closed).");
        _metrics.Meter.CreateObservableGauge(
            "quota.store.breaker.state", () => (int)_breakers.State, "{state}", "The worst store breaker (one per shard): 0 closed (store answers), 1 half-open (one trial call out), 2 open (no calls; requests answered from what is local).");
        _metrics.Meter.CreateObservableGauge(
            "quota.store.shards.open", () => _breakers.Unavailable().Count, "{shard}", "Store shards (Redis Cluster primaries; 1 for a single store) whose breaker is open or half-open: their accounts are answered from what is local.");
        _metrics.Meter.CreateObservableGauge(
            "quota.idempotency.window", () => TimeSpan.FromTicks(_holds.EffectiveWindowTicks(_time.GetUtcNow().UtcTicks)).TotalSeconds, "s",
            "How far back finished holds are remembered now: Quota:Idempotency:Window, or less once MaxRecords bites.");
        _metrics.Meter.CreateObservableGauge("quota.idempotency.client_records", () => (long)_holds.ClientRecords, "{record}", "Holds and Consume answers remembered by a client-chosen id.");
        _metrics.Meter.CreateObservableGauge("quota.accounts.active", () => (long)_accounts.Count, "{account}", "Accounts with local state on this sidecar.");
    }

    /// <summary>This sidecar's instance id.</summary>
    public string InstanceId => _options.InstanceId;

    /// <summary>Whether the whole central store answered its last calls (every shard's breaker is closed).</summary>
    public bool StoreAvailable => _breakers.Closed;

    /// <summary>The worst of the store breakers' states, one per shard (docs/design.md {#store-breaker}).</summary>
    public BreakerState StoreBreakerState => _breakers.State;

    /// <summary>The shards whose breaker is open or half-open ("whole store" for a store of one shard, else
    /// "shard &lt;endpoint&gt;"); empty while <see cref="StoreAvailable"/>.</summary>
    public IReadOnlyList<string> UnavailableShards => _breakers.Unavailable();

    /// <summary>Open holds on this sidecar.</summary>
    public long OpenHolds => _accounts.OpenHolds();

    /// <summary>Accounts with local state.</summary>
    public int ActiveAccounts => _accounts.Count;

    /// <summary>The background work: settle passes, refills, the shutdown drain.</summary>
    public Settler Settler { get; }

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
        if (!string.IsNullOrEmpty(reservationId))
        {
            if (_holds.TryGetReservation(reservationId, out var existing))
            {
                return new ValueTask<ReserveResult>(Replay(existing, accountId, amount, ttlTicks));
            }

            if (_holds.Ring.IsSidecarMade(reservationId))
            {
                throw QuotaException.Exists($"reservation_id '{reservationId}' has the form of the ids this sidecar makes; choose your own id (or leave it empty)");
            }
        }

        if (_accounts.TryGet(accountId, out var account) && account.Known
            && (account.ParentId is null
                ? TryReserveLocal(account, amount, reservationId, ttlTicks, out var result)
                : TryReservePathLocal(account, amount, reservationId, ttlTicks, out result)))
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
    public CommitResult Commit(string reservationId, long amount) => Commit(reservationId, amount, null);

    /// <inheritdoc cref="Commit(string, long)"/>
    /// <param name="labelSet">The usage labels, canonical (<see cref="UsageLabels.Canonical"/>); null: the Reserve's
    /// (docs/design.md#usage-labels: a Commit's labels replace the Reserve's, they are not merged).</param>
    public CommitResult Commit(string reservationId, long amount, string? labelSet)
    {
        Validation.RequiredId(reservationId, "reservation_id");
        Validation.NonNegativeAmount(amount, "amount");
        if (FindHold(reservationId, out var record) is not { } hold)
        {
            return HoldAnswers.Commit(reservationId, amount, HoldOutcome.Of(record));
        }

        if (hold.Up is not null)
        {
            return CommitPath(hold, amount, labelSet);
        }

        var account = hold.Account;
        lock (account.Gate)
        {
            var now = _time.GetUtcNow().UtcTicks;
            account.ExpireIfDue(hold, now);
            if (hold.State != HoldState.Open)
            {
                return HoldAnswers.Commit(reservationId, amount, HoldOutcome.Of(hold));
            }

            account.Commit(hold, amount, now, labelSet);
            RefillIfLow(account);
            return new CommitResult(hold.Committed, hold.Released, hold.Overage, hold.FinalBalanceHint);
        }
    }

    /// <summary>Gives a hold's credits back. Repeating it (or releasing an expired hold) returns the released amount.
    /// Errors: NotFound (unknown id), FailedPrecondition (already committed, or denied).</summary>
    public ReleaseResult Release(string reservationId)
    {
        Validation.RequiredId(reservationId, "reservation_id");
        if (FindHold(reservationId, out var record) is not { } hold)
        {
            return HoldAnswers.Release(reservationId, HoldOutcome.Of(record));
        }

        if (hold.Up is not null)
        {
            return ReleasePath(hold);
        }

        var account = hold.Account;
        lock (account.Gate)
        {
            var now = _time.GetUtcNow().UtcTicks;
            account.ExpireIfDue(hold, now);
            if (hold.State == HoldState.Open)
            {
                account.ReturnHold(hold, HoldState.Released, now);
            }

            return HoldAnswers.Release(reservationId, HoldOutcome.Of(hold));
        }
    }

    /// <summary>Reserve and Commit of the same amount in one step. Idempotent on <paramref name="requestId"/> when given.</summary>
    public ValueTask<ConsumeResult> ConsumeAsync(string accountId, long amount, string? requestId = null, CancellationToken cancellationToken = default) =>
        ConsumeAsync(accountId, amount, requestId, null, cancellationToken);

    /// <inheritdoc cref="ConsumeAsync(string, long, string?, CancellationToken)"/>
    /// <param name="labelSet">The usage labels, canonical (<see cref="UsageLabels.Canonical"/>); null: none.</param>
    public ValueTask<ConsumeResult> ConsumeAsync(string accountId, long amount, string? requestId, string? labelSet, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        Validation.PositiveAmount(amount, "amount");
        Validation.OptionalId(requestId, "request_id");
        if (!string.IsNullOrEmpty(requestId))
        {
            return ConsumeOnceAsync(accountId, amount, requestId, labelSet, cancellationToken);
        }

        if (_accounts.TryGet(accountId, out var account) && account.Known
            && (account.ParentId is null
                ? TryConsumeLocal(account, amount, labelSet, out var result)
                : TryConsumePathLocal(account, amount, labelSet, out result)))
        {
            return new ValueTask<ConsumeResult>(result);
        }

        return ConsumeSlowAsync(accountId, amount, labelSet, cancellationToken);
    }

    /// <summary>Gives an open hold the Reserve's usage labels (canonical; docs/design.md#usage-labels), for its Commit
    /// to attribute its usage to. Called by the API after a granted Reserve that carried labels, before it answers,
    /// so no Commit can come first; a retried Reserve sets them again. A hold no longer open is left as it is.</summary>
    public void LabelHold(string reservationId, string labelSet)
    {
        ArgumentNullException.ThrowIfNull(labelSet);
        if (FindHold(reservationId, out _) is not { } hold)
        {
            return;
        }

        lock (hold.Account.Gate)
        {
            hold.Account.LabelHold(hold, labelSet);
        }
    }

    /// <summary>This sidecar's view of an account. <paramref name="consistent"/>: exchange with the store first.
    /// Errors: NotFound for an unknown account, Unavailable when the store cannot be reached and this sidecar has
    /// no state for the account.</summary>
    public async ValueTask<BalanceView> GetBalanceAsync(string accountId, bool consistent = false, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        var load = await LoadAsync(accountId, default, wait: null, cancellationToken);
        if (load.StoreUnavailable)
        {
            throw new QuotaException("the central store is unreachable and this sidecar has no state for the account yet; retry", new InvalidOperationException("store unavailable"));
        }

        var account = load.Account;
        if (account is not null && consistent && !load.Exchanged)
        {
            // An exchange already running may have been composed before this call: wait for it, then make one.
            Task<ExchangeOutcome>? running;
            lock (account.Gate)
            {
                running = account.Exchanging;
            }

            if (running is not null)
            {
                await running.WaitAsync(cancellationToken);
            }

            await _exchanger.ExchangeAsync(account, default).WaitAsync(cancellationToken);
        }

        if (account is null || !account.Known)
        {
            throw QuotaException.NotFound($"account '{accountId}' not found");
        }

        lock (account.Gate)
        {
            account.SweepExpired(_time.GetUtcNow().UtcTicks);
            var headroom = account.IsSoft ? account.OverageFree + account.CentralOverageHeadroom : 0;
            return new BalanceView(
                account.Id, account.BalanceHint, account.Held, headroom, account.IsLowBalance,
                new DateTimeOffset(account.CentralAsOfTicks, TimeSpan.Zero));
        }
    }

    /// <summary>Applies a policy change made through this sidecar at once (others learn it at their next exchange).</summary>
    public void ApplyPolicy(AccountPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (_accounts.TryGet(policy.AccountId, out var account))
        {
            lock (account.Gate)
            {
                account.ApplyPolicy(policy);
            }
        }
    }

    /// <summary>Runs the settle loop and the refill worker until cancelled (see <see cref="Settler.RunAsync"/>).</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Settler.RunAsync(cancellationToken);

    /// <summary>One settle pass now (see <see cref="Settler.PassAsync"/>).</summary>
    public Task SettleOnceAsync(CancellationToken cancellationToken = default) => Settler.PassAsync(cancellationToken);

    /// <summary>Processes queued background refills now (see <see cref="Settler.ProcessRefillsAsync"/>).</summary>
    public Task ProcessRefillsAsync(CancellationToken cancellationToken = default) => Settler.ProcessRefillsAsync(cancellationToken);

    /// <summary>Graceful shutdown (see <see cref="Settler.ShutdownAsync"/>).</summary>
    public Task ShutdownAsync(CancellationToken cancellationToken = default) => Settler.ShutdownAsync(cancellationToken);

    public ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            _connection.ConnectionLost -= _breakers.ConnectionLost;
            _connection.ConnectionRestored -= _breakers.ConnectionRestored;
        }

        Settler.Complete();
        return ValueTask.CompletedTask;
    }

    /// <summary>Usage committed on this sidecar and not yet acknowledged by the store (for tests and the shutdown log).</summary>
    internal long UnreportedUsage(string accountId)
    {
        if (!_accounts.TryGet(accountId, out var account))
        {
            return 0;
        }

        lock (account.Gate)
        {
            return account.UsageAtRisk;
        }
    }

    /// <summary>Accounts the settle pass visits every pass (those with something local).</summary>
    internal int ListedAccounts => _accounts.ActiveCount;

    /// <summary>Holds and Consume answers remembered by a client-chosen id.</summary>
    internal int ClientIdempotencyRecords => _holds.ClientRecords;

    /// <summary>The local state of an account in one line, for test failure messages and debugging.</summary>
    internal string Describe(string accountId)
    {
        if (!_accounts.TryGet(accountId, out var a))
        {
            return $"{accountId}: no local state";
        }

        lock (a.Gate)
        {
            var now = _time.GetUtcNow().UtcTicks;
            return $"{accountId}: free={a.Free} overageFree={a.OverageFree} held={a.Held} heldCredits={a.HeldCredits} " +
                $"unreported={a.Unreported} seq={a.InFlight?.Sequence} leaseExpiresIn={TimeSpan.FromTicks(a.LeaseExpiresTicks - now)} " +
                $"central={a.CentralAvailable} rate={a.Rate:F1} reclaim={a.ReclaimRequested}/{a.ReclaimFlagSeen} known={a.Known}";
        }
    }

    /// <summary>
    /// The fast path: a hold from the lease under the account's lock, or a local denial (suspended). False when
    /// the lease cannot answer (the slow path then asks the store).
    /// </summary>
    private bool TryReserveLocal(LocalAccount account, long amount, string? reservationId, long ttlTicks, out ReserveResult result)
    {
        Hold? taken = null;
        lock (account.Gate)
        {
            if (account.Evicted)
            {
                result = default;
                return false;
            }

            var now = _time.GetUtcNow().UtcTicks;
            account.SweepExpired(now);
            if (account.IsSuspended)
            {
                result = Deny(account, reservationId, amount, ttlTicks, now, DenyReason.AccountSuspended);
                return true;
            }

            if (!account.CanHold(amount, now))
            {
                result = default;
                return false;
            }

            if (TryOpenHold(account, amount, reservationId, ttlTicks, now, out var hold, out taken))
            {
                account.TakeForHold(hold, now);
                ListIfTracked(account);
                hold.BalanceHint = account.BalanceHint;
                hold.LowBalance = account.IsLowBalance;
                RefillIfLow(account);
                _metrics.Decision(Decision.Granted, DenyReason.None);
                result = ReserveResult.Granted(hold);
                return true;
            }
        }

        // The id was taken by a concurrent Reserve: answer as a retry of it (outside this lock: it takes the other's).
        result = Replay(taken, account.Id, amount, ttlTicks);
        return true;
    }

    /// <summary>The slow path: load the account if new, then follow the <see cref="ShortfallPolicy"/> until the lease
    /// covers the request or the policy denies. Waits on the store within <see cref="EngineOptions.MaxStoreWait"/>
    /// in all (<see cref="StoreWait"/>); past it, or with the breaker open, the answer comes from what is local.</summary>
    private async ValueTask<ReserveResult> ReserveSlowAsync(string accountId, long amount, string? reservationId, long ttlTicks, CancellationToken cancellationToken)
    {
        var wait = new StoreWait(_time, _options.MaxStoreWait);
        try
        {
            return await ReserveSlowAsync(accountId, amount, reservationId, ttlTicks, wait, cancellationToken);
        }
        finally
        {
            if (wait.Waited > TimeSpan.Zero)
            {
                _metrics.StoreWaited(wait.Waited.TotalMilliseconds);
            }
        }
    }

    private async ValueTask<ReserveResult> ReserveSlowAsync(
        string accountId, long amount, string? reservationId, long ttlTicks, StoreWait wait, CancellationToken cancellationToken)
    {
        var load = await LoadAsync(accountId, new ExchangeIntent(Need: amount), wait, cancellationToken);
        if (load.Account is not { } account)
        {
            return DenyUnloaded(load, reservationId, accountId);
        }

        var policy = new ShortfallPolicy(load.Exchanged, _options.ReclaimWait);
        while (true)
        {
            if (account.ParentId is not null)
            {
                return await ReservePathSlowAsync(account, amount, reservationId, ttlTicks, wait, load.Exchanged, cancellationToken);
            }

            if (TryReserveLocal(account, amount, reservationId, ttlTicks, out var result))
            {
                return result;
            }

            if (account.Evicted)
            {
                // Forgotten by the idle eviction meanwhile: continue on the account's new local state.
                load = await LoadAsync(accountId, new ExchangeIntent(Need: amount), wait, cancellationToken);
                if (load.Account is null)
                {
                    return DenyUnloaded(load, reservationId, accountId);
                }

                account = load.Account;
                continue;
            }

            var step = policy.Next(account, amount);
            if (step.Action == ShortfallAction.Deny)
            {
                return DenyLocked(account, reservationId, amount, ttlTicks, DenyReason.InsufficientCredits);
            }

            if (step.Action == ShortfallAction.WaitForReclaim)
            {
                await Task.Delay(_options.ReclaimWait, _time, cancellationToken);
            }

            var exchange = _exchanger.ExchangeAsync(account, step.Intent, out var joined);
            var outcome = await wait.WaitAsync(exchange, cancellationToken);
            if (outcome == ExchangeOutcome.Done && step.Intent.OverageNeed == 0 && (joined || !account.TakeFellShort))
            {
                policy.Refund();
            }

            switch (outcome)
            {
                case ExchangeOutcome.UnknownAccount:
                    _accounts.RemoveIfUnknown(account);
                    return Denied(DenyReason.UnknownAccount, reservationId, accountId);
                case ExchangeOutcome.StoreUnavailable or ExchangeOutcome.TimedOut:
                    // Answered from what is local: the lease (others may have returned credits meanwhile), then the
                    // fail-open allowance, else a denial that says why.
                    return TryReserveLocal(account, amount, reservationId, ttlTicks, out result) ? result
                        : TryFailOpen(account, amount, reservationId, ttlTicks, out var open) ? open
                        : DenyLocked(account, reservationId, amount, ttlTicks, DenyReason.StoreUnavailable);
            }
        }
    }

    /// <summary>The denial when the account could not be loaded: the store was unreachable, or does not know it.</summary>
    private ReserveResult DenyUnloaded(Load load, string? reservationId, string accountId) =>
        Denied(load.StoreUnavailable ? DenyReason.StoreUnavailable : DenyReason.UnknownAccount, reservationId, accountId);

    private ReserveResult Denied(DenyReason reason, string? reservationId, string accountId)
    {
        _metrics.Decision(Decision.Denied, reason);
        return ReserveResult.Denied(reason, reservationId ?? "", 0, false, accountId);
    }

    private bool TryConsumeLocal(LocalAccount account, long amount, string? labelSet, out ConsumeResult result)
    {
        lock (account.Gate)
        {
            if (account.Evicted)
            {
                result = default;
                return false;
            }

            var now = _time.GetUtcNow().UtcTicks;
            account.SweepExpired(now);
            if (account.IsSuspended)
            {
                _metrics.Decision(Decision.Denied, DenyReason.AccountSuspended);
                result = ConsumeResult.Denied(DenyReason.AccountSuspended, account.BalanceHint, account.IsLowBalance, account.Id);
                return true;
            }

            if (!account.TryConsume(amount, now, labelSet))
            {
                result = default;
                return false;
            }

            ListIfTracked(account);

            RefillIfLow(account);
            _metrics.Decision(Decision.Granted, DenyReason.None);
            result = new ConsumeResult(Decision.Granted, DenyReason.None, account.BalanceHint, account.IsLowBalance, false);
            return true;
        }
    }

    private async ValueTask<ConsumeResult> ConsumeSlowAsync(string accountId, long amount, string? labelSet, CancellationToken cancellationToken)
    {
        // A Consume is a Reserve and Commit of one amount; the slow path reuses the Reserve's, with a private id.
        var reserved = await ReserveSlowAsync(accountId, amount, null, _defaultTtlTicks, cancellationToken);
        if (reserved.Decision != Decision.Granted)
        {
            return ConsumeResult.Denied(reserved.DenyReason, reserved.BalanceHint, reserved.LowBalance, reserved.DeniedAccountId);
        }

        var committed = Commit(reserved.ReservationId, amount, labelSet);
        return new ConsumeResult(Decision.Granted, DenyReason.None, committed.BalanceHint, reserved.LowBalance, reserved.Overage);
    }

    private async ValueTask<ConsumeResult> ConsumeOnceAsync(string accountId, long amount, string requestId, string? labelSet, CancellationToken cancellationToken)
    {
        if (_holds.TryGetConsume(requestId, out var seen))
        {
            if (seen.AccountId != accountId || seen.Amount != amount)
            {
                throw QuotaException.Exists($"request_id '{requestId}' was used for {seen.Amount} credits of account '{seen.AccountId}'; use a new request_id");
            }

            return seen.Result;
        }

        var result = _accounts.TryGet(accountId, out var account) && account.Known && TryConsumeLocal(account, amount, labelSet, out var local)
            ? local
            : await ConsumeSlowAsync(accountId, amount, labelSet, cancellationToken);
        if (_accounts.TryGet(accountId, out account))
        {
            var now = _time.GetUtcNow().UtcTicks;
            _holds.AddConsume(new ConsumeAnswer(requestId, account.Id, amount, result), now);
        }

        return result;
    }

    /// <summary>While the store is unreachable, a hold granted beyond the lease from the fail-open allowance.</summary>
    private bool TryFailOpen(LocalAccount account, long amount, string? reservationId, long ttlTicks, out ReserveResult result)
    {
        lock (account.Gate)
        {
            var now = _time.GetUtcNow().UtcTicks;
            if (!account.FailOpenAllows(amount, _options.FailOpenAllowance)
                || !TryOpenHold(account, amount, reservationId, ttlTicks, now, out var hold, out _))
            {
                result = default;
                return false;
            }

            account.TakeUnbacked(hold);
            _accounts.MarkActive(account); // fail-open usage to report, though no exchange brought credits
            hold.BalanceHint = account.BalanceHint;
            _metrics.Decision(Decision.Granted, DenyReason.None, failOpen: true);
            result = ReserveResult.Granted(hold);
            return true;
        }
    }

    /// <summary>Makes a hold and remembers it under its id (made here, in the ring, if the caller gave none). False
    /// when the caller's id is already taken: <paramref name="taken"/> is the hold that has it.</summary>
    private bool TryOpenHold(LocalAccount account, long amount, string? reservationId, long ttlTicks, long now, out Hold hold, out Hold? taken)
    {
        taken = null;
        if (string.IsNullOrEmpty(reservationId))
        {
            hold = _holds.Ring.Open(
                (account, amount, ttlTicks, now),
                static (s, id, n) => new Hold(id, s.account, s.amount, s.ttlTicks, s.now, n),
                now);
            return true;
        }

        hold = new Hold(reservationId, account, amount, ttlTicks, now);
        if (_holds.TryAddReservation(hold, now))
        {
            return true;
        }

        _holds.TryGetReservation(hold.Id, out taken!);
        return false;
    }

    /// <summary>The account's local state, loading it from the store when this sidecar has none yet (within the
    /// request's <paramref name="wait"/>, if any). Account is null when the store does not know it or could not be
    /// reached in time; unknown ids leave nothing behind.</summary>
    private async ValueTask<Load> LoadAsync(string accountId, ExchangeIntent intent, StoreWait? wait, CancellationToken cancellationToken)
    {
        var account = _accounts.GetOrAdd(accountId, _time.GetUtcNow().UtcTicks);
        if (account.Known)
        {
            return new Load(account, Exchanged: false, StoreUnavailable: false);
        }

        var exchange = _exchanger.ExchangeAsync(account, intent);
        var outcome = wait is null ? await exchange.WaitAsync(cancellationToken) : await wait.WaitAsync(exchange, cancellationToken);
        if (outcome != ExchangeOutcome.Done || !account.Known)
        {
            _accounts.RemoveIfUnknown(account);
            return new Load(null, Exchanged: true, StoreUnavailable: outcome is ExchangeOutcome.StoreUnavailable or ExchangeOutcome.TimedOut);
        }

        return new Load(account, Exchanged: true, StoreUnavailable: false);
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
                ? ReserveResult.Denied(hold.DenyReason, hold.Id, hold.BalanceHint, hold.LowBalance, hold.DeniedAccountId ?? hold.Account.Id)
                : ReserveResult.Granted(hold);
        }
    }

    private ReserveResult DenyLocked(LocalAccount account, string? reservationId, long amount, long ttlTicks, DenyReason reason, LocalAccount? deniedBy = null)
    {
        deniedBy ??= account;
        lock (deniedBy.Gate)
        {
            return Deny(account, reservationId, amount, ttlTicks, _time.GetUtcNow().UtcTicks, reason, deniedBy);
        }
    }

    /// <summary>Records a denial of a Reserve on <paramref name="account"/> by <paramref name="deniedBy"/> (the account
    /// itself or an ancestor; the caller holds its gate); with a client-chosen id it is remembered so a retry gets the
    /// same answer.</summary>
    private ReserveResult Deny(LocalAccount account, string? reservationId, long amount, long ttlTicks, long now, DenyReason reason, LocalAccount? deniedBy = null)
    {
        deniedBy ??= account;
        _metrics.Decision(Decision.Denied, reason);
        if (!string.IsNullOrEmpty(reservationId))
        {
            _holds.TryAddReservation(Hold.DenialRecord(reservationId, account, amount, ttlTicks, now, reason, deniedBy), now);
        }

        return ReserveResult.Denied(reason, reservationId ?? "", deniedBy.BalanceHint, deniedBy.IsLowBalance, deniedBy.Id);
    }

    /// <summary>
    /// The hold a Commit or Release names: the open hold (or a client-id hold's whole record), or null when only the
    /// compact record of a finished sidecar-made hold is left. Throws NotFound for an id never seen (or a client id
    /// older than the window) and Forgotten for a sidecar-made id older than what is remembered.
    /// </summary>
    private Hold? FindHold(string reservationId, out FinishedHold record)
    {
        // A client id never has the sidecar's own form (Reserve refuses it), so one lookup suffices.
        var found = _holds.Ring.Find(reservationId);
        if (found.Kind == RingLookupKind.NotOurs)
        {
            record = default;
            return _holds.TryGetReservation(reservationId, out var hold)
                ? hold
                : throw QuotaException.NotFound($"reservation '{reservationId}' not found (unknown, or older than the idempotency window)");
        }

        record = found.Finished;
        return found.Kind switch
        {
            RingLookupKind.Open => found.Open,
            RingLookupKind.Finished => null,
            RingLookupKind.Forgotten => throw QuotaException.Forgotten(
                $"reservation '{reservationId}' finished longer ago than this sidecar remembers (idempotency window " +
                $"{_options.IdempotencyWindow}, or less under Quota:Idempotency:MaxRecords); it stands as first answered and cannot be repeated"),
            _ => throw new InvalidOperationException($"unexpected ring lookup {found.Kind}"),
        };
    }

    /// <summary>A TRACK account's usage comes with no exchange (it has no lease): the settle pass must visit it to
    /// report it. Caller holds the gate.</summary>
    private void ListIfTracked(LocalAccount account)
    {
        if (account.IsTrack)
        {
            _accounts.MarkActive(account);
        }
    }

    /// <summary>Queues a background refill when the lease fell under its low watermark. Caller holds the gate.</summary>
    private void RefillIfLow(LocalAccount account)
    {
        if (_sizing.BelowWatermark(account))
        {
            Settler.RequestRefill(account);
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

    /// <summary>What loading an account found.</summary>
    /// <param name="Account">Its local state; null when the store does not know it or could not be reached.</param>
    /// <param name="Exchanged">Whether an exchange with the store was made to load it.</param>
    /// <param name="StoreUnavailable">The store could not be reached (Account is null).</param>
    private readonly record struct Load(LocalAccount? Account, bool Exchanged, bool StoreUnavailable);
}
