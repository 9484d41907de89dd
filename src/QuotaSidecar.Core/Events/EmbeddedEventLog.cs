using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Events;

/// <summary>
/// The balance events of the embedded ledger (docs/design.md#balance-events): decided under the account's lock by
/// <see cref="Ledger.Embedded.EmbeddedLedger"/> after every call that may change the balance, appended at once to the
/// global stream (in process there is no outbox to relay). Ids and cursors have the Redis ledger's form.
/// </summary>
public sealed class EmbeddedEventLog : IEventLog
{
    private readonly ConcurrentDictionary<string, AccountEvents> _accounts = new(StringComparer.Ordinal);
    private readonly List<BalanceEvent> _events = [];
    private readonly List<EventCursor> _cursors = [];
    private readonly Lock _gate = new();
    private readonly EventOptions _options;
    private readonly TimeProvider _time;
    private EventCursor _last;
    private TaskCompletionSource _appended = NewSignal();

    public EmbeddedEventLog(EventOptions? options = null, TimeProvider? time = null)
    {
        _options = options ?? new EventOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public ValueTask<EventPage> ListAsync(string? after, int limit, string? accountId, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 1000)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"limit must be between 1 and 1000 (got {limit})");
        }

        if (!string.IsNullOrEmpty(accountId))
        {
            Validation.AccountId(accountId, "account_id");
        }

        var from = EventCursor.Parse(after, "after");
        lock (_gate)
        {
            var i = First(from);
            var page = new List<BalanceEvent>();
            var next = "";
            for (var scanned = 0; i < _events.Count && page.Count < limit && scanned < _options.MaxScan; i++, scanned++)
            {
                var e = _events[i];
                next = e.Cursor;
                if (string.IsNullOrEmpty(accountId) || e.AccountId == accountId)
                {
                    page.Add(e);
                }
            }

            return ValueTask.FromResult(new EventPage(page, next));
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BalanceEvent> WatchAsync(string? after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var cursor = EventCursor.Parse(after, "after");
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            List<BalanceEvent> batch;
            Task appended;
            lock (_gate)
            {
                batch = [];
                for (var i = First(cursor); i < _events.Count && batch.Count < 1000; i++)
                {
                    batch.Add(_events[i]);
                }

                appended = _appended.Task;
            }

            foreach (var e in batch)
            {
                cursor = EventCursor.Parse(e.Cursor, "cursor");
                yield return e;
            }

            if (batch.Count == 0)
            {
                await appended.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The cursor of the newest event ("" when there is none yet).</summary>
    public string LastCursor
    {
        get
        {
            lock (_gate)
            {
                return _cursors.Count == 0 ? "" : _cursors[^1].ToString();
            }
        }
    }

    /// <summary>
    /// Decides the account's events after a call changed (or may have changed) its balance, and appends them. Called
    /// under the account's lock, so an account's decisions are serialised; the first call for an account only records
    /// its state (an account is not "crossing" because it was just created or the process started).
    /// </summary>
    internal void Decide(
        AccountPolicy policy,
        Balance balance,
        DateTimeOffset now,
        List<(string GrantId, long Unused)>? expired = null,
        List<(string GrantId, long Remaining)>? expiring = null)
    {
        var customer = balance.Granted - balance.Consumed - balance.Expired - balance.Voided;
        // A TRACK account has no limit to warn about: it is on no side of any line and decides no crossing
        // (docs/design.md#account-tree); grant events and the recharge policy still apply.
        var track = policy.OverageMode == OverageMode.Track;
        var state = track
            ? default
            : BalanceState.Of(customer, policy.LowBalanceThreshold, policy.OverageMode == OverageMode.Hard, balance.Overage, policy.OverageLimit);
        var account = _accounts.GetOrAdd(policy.AccountId, static _ => new AccountEvents());
        if (!account.Known)
        {
            account.Known = true;
            account.State = state;
        }
        else if (track)
        {
            account.State = state;
        }
        else if (account.State != state)
        {
            Span<BalanceEventType> types = stackalloc BalanceEventType[BalanceState.MaxCrossings];
            var n = BalanceState.Crossings(account.State, state, types);
            account.State = state;
            for (var i = 0; i < n; i++)
            {
                account.Number++;
                var overage = types[i] is BalanceEventType.OverageStarted or BalanceEventType.OverageLimitReached;
                Append(new BalanceEvent(
                    Id(policy.AccountId, account.Number), types[i], policy.AccountId, customer,
                    overage ? policy.OverageLimit : policy.LowBalanceThreshold, now, "", Amount: overage ? balance.Overage : 0));
            }
        }

        foreach (var (grantId, remaining) in expiring ?? [])
        {
            account.Number++;
            Append(new BalanceEvent(
                Id(policy.AccountId, account.Number), BalanceEventType.GrantExpiring, policy.AccountId, customer, 0, now, "",
                Amount: remaining, GrantId: grantId));
        }

        foreach (var (grantId, unused) in expired ?? [])
        {
            account.Number++;
            Append(new BalanceEvent(
                Id(policy.AccountId, account.Number), BalanceEventType.GrantExpired, policy.AccountId, customer, 0, now, "",
                Amount: unused, GrantId: grantId));
        }

        DecideRecharge(account, policy.AccountId, customer, now);
    }

    /// <summary>Sets the account's recharge policy (under the account's lock, like <see cref="Decide"/>).</summary>
    internal void SetRecharge(RechargePolicy policy) =>
        _accounts.GetOrAdd(policy.AccountId, static _ => new AccountEvents()).Recharge = policy;

    /// <summary>The account's recharge policy and counters (under the account's lock).</summary>
    internal RechargeState Recharge(string accountId) =>
        _accounts.TryGetValue(accountId, out var a)
            ? new RechargeState(a.Recharge, a.RechargeCount, a.RechargedAt, a.Recharges)
            : new RechargeState(null, 0, null, 0);

    // docs/design.md#auto-recharge, mirrored by decide_recharge in ledger.lua: one request per stay at or below the
    // threshold, when the month's cap and the cooldown allow it (checked again at each change while they do not).
    private void DecideRecharge(AccountEvents account, string accountId, long customer, DateTimeOffset now)
    {
        if (account.Recharge is not { MaxPerMonth: > 0 } policy)
        {
            return;
        }

        if (customer > policy.Threshold)
        {
            account.RechargeRequested = false;
            return;
        }

        var month = (now.UtcDateTime.Year * 12) + now.UtcDateTime.Month;
        var count = account.RechargeMonth == month ? account.RechargeCount : 0;
        if (account.RechargeRequested || count >= policy.MaxPerMonth
            || (account.RechargedAt is { } last && now - last < policy.Cooldown))
        {
            return;
        }

        account.Recharges++;
        account.RechargeRequested = true;
        account.RechargeMonth = month;
        account.RechargeCount = count + 1;
        account.RechargedAt = now;
        account.Number++;
        var rechargeId = "recharge-" + account.Recharges.ToString(CultureInfo.InvariantCulture);
        Append(new BalanceEvent(
            Id(accountId, account.Number), BalanceEventType.RechargeRequested, accountId, customer, policy.Threshold, now, "",
            rechargeId, policy.Target - customer));
    }

    private static string Id(string accountId, long number) => accountId + ":" + number.ToString(CultureInfo.InvariantCulture);

    private void Append(BalanceEvent e)
    {
        TaskCompletionSource appended;
        lock (_gate)
        {
            // Positions follow the caller's clock but never go back, like the Redis relay's.
            var ms = Math.Max(e.At.ToUnixTimeMilliseconds(), _last.Milliseconds);
            _last = ms == _last.Milliseconds ? _last with { Sequence = _last.Sequence + 1 } : new EventCursor(ms, 0);
            _events.Add(e with { Cursor = _last.ToString() });
            _cursors.Add(_last);
            Trim();
            appended = _appended;
            _appended = NewSignal();
        }

        appended.TrySetResult();
    }

    // Events older than the retention (by position) go, oldest first, in batches so a trim is amortised.
    private void Trim()
    {
        var oldest = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.Retention.TotalMilliseconds;
        if (_cursors.Count == 0 || _cursors[0].Milliseconds >= oldest)
        {
            return;
        }

        var k = First(new EventCursor(oldest, -1));
        _events.RemoveRange(0, k);
        _cursors.RemoveRange(0, k);
    }

    // Index of the first event after the cursor.
    private int First(EventCursor after)
    {
        var i = _cursors.BinarySearch(after);
        return i >= 0 ? i + 1 : ~i;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class AccountEvents
    {
        public bool Known { get; set; }

        public BalanceState State { get; set; }

        public long Number { get; set; }

        public RechargePolicy? Recharge { get; set; }

        public bool RechargeRequested { get; set; }

        public int RechargeMonth { get; set; }

        public int RechargeCount { get; set; }

        public DateTimeOffset? RechargedAt { get; set; }

        public long Recharges { get; set; }
    }
}
