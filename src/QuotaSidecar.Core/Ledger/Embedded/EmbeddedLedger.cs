using System.Collections.Concurrent;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Events;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Ledger.Embedded;

/// <summary>
/// The in-process central ledger: the default store, so <c>dotnet run</c> needs nothing else. Thread-safe; each
/// account is guarded by its own lock, and every call completes synchronously.
/// </summary>
public sealed partial class EmbeddedLedger : ICentralLedger, IGrantExpiryWarnings
{
    private readonly ConcurrentDictionary<string, AccountBook> _books = new(StringComparer.Ordinal);

    // Guards every parent change and the children index (EmbeddedLedger.Tree.cs); taken before a book's lock.
    private readonly Lock _tree = new();
    private readonly CentralLedgerOptions _options;
    private readonly TimeProvider _time;

    public EmbeddedLedger(CentralLedgerOptions? options = null, TimeProvider? time = null, EventOptions? events = null)
    {
        _options = options ?? new CentralLedgerOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        Events = new EmbeddedEventLog(events, _time);
    }

    /// <summary>The balance events of this ledger's accounts (docs/design.md#balance-events).</summary>
    public EmbeddedEventLog Events { get; }

    public ValueTask<LeaseExchangeResult> ExchangeAsync(LeaseExchange exchange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        exchange.Validate();
        if (!_books.TryGetValue(exchange.AccountId, out var book))
        {
            return ValueTask.FromResult(LeaseExchangeResult.UnknownAccount);
        }

        lock (book)
        {
            var now = _time.GetUtcNow();
            var result = book.Exchange(exchange, now);
            DecideEvents(book, now);
            return ValueTask.FromResult(result);
        }
    }

    public ValueTask<IReadOnlyList<LabelUsage>?> GetUsageAsync(string accountId, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        if (!_books.TryGetValue(accountId, out var book))
        {
            return ValueTask.FromResult<IReadOnlyList<LabelUsage>?>(null);
        }

        lock (book)
        {
            return ValueTask.FromResult<IReadOnlyList<LabelUsage>?>(book.Usage());
        }
    }

    public ValueTask<AccountView> UpsertAccountAsync(AccountPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();

        // Upserts are serialised by the tree's lock (admin calls, rare): the tree checks, the parent change and the
        // children index are one step, so two concurrent upserts cannot make a cycle (docs/design.md#account-tree).
        lock (_tree)
        {
            _books.TryGetValue(policy.AccountId, out var existing);
            var parentBefore = existing?.Policy.ParentId; // a parent changes only under _tree: no book lock needed
            var moves = !string.Equals(parentBefore, policy.ParentId, StringComparison.Ordinal);
            if (moves && policy.ParentId is { } parentId)
            {
                AccountTree.CheckParent(
                    policy.AccountId, parentId, Ancestors(parentId, policy.AccountId), existing is null ? 1 : SubtreeHeight(policy.AccountId));
            }

            var book = existing ?? _books.GetOrAdd(policy.AccountId, static (_, p) => new AccountBook(p.policy, p.options), (policy, options: _options));
            AccountView view;
            lock (book)
            {
                var now = _time.GetUtcNow();
                book.Advance(now);
                if (existing is not null && moves && book.Balance() is { } held && (held.Leased > 0 || held.OverageLeased > 0))
                {
                    DecideEvents(book, now);
                    throw AccountTree.Leased(policy.AccountId, held.Leased, held.OverageLeased);
                }

                book.Policy = policy;
                DecideEvents(book, now);
                view = new AccountView(book.Policy, book.Balance());
            }

            if (moves)
            {
                MoveInIndex(policy.AccountId, parentBefore, policy.ParentId);
            }

            return ValueTask.FromResult(view);
        }
    }

    public ValueTask<AccountView?> GetAccountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        if (!_books.TryGetValue(accountId, out var book))
        {
            return ValueTask.FromResult<AccountView?>(null);
        }

        lock (book)
        {
            var now = _time.GetUtcNow();
            book.Advance(now);
            DecideEvents(book, now);
            return ValueTask.FromResult<AccountView?>(new AccountView(book.Policy, book.Balance()));
        }
    }

    public ValueTask<Grant> GrantAsync(GrantSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var book = Book(spec.AccountId);
        lock (book)
        {
            var now = _time.GetUtcNow();
            var grant = book.AddGrant(spec, now);
            DecideEvents(book, now);
            return ValueTask.FromResult(grant);
        }
    }

    public ValueTask<Grant> VoidGrantAsync(string accountId, string grantId, CancellationToken cancellationToken = default)
    {
        Validation.RequiredId(grantId, "grant_id");
        var book = Book(accountId);
        lock (book)
        {
            var now = _time.GetUtcNow();
            var grant = book.Void(grantId, now);
            DecideEvents(book, now);
            return ValueTask.FromResult(grant);
        }
    }

    public ValueTask<IReadOnlyList<Grant>> ListGrantsAsync(string accountId, bool includeInactive, CancellationToken cancellationToken = default)
    {
        var book = Book(accountId);
        lock (book)
        {
            var now = _time.GetUtcNow();
            var grants = book.ListGrants(includeInactive, now);
            DecideEvents(book, now);
            return ValueTask.FromResult(grants);
        }
    }

    public ValueTask<LedgerPage> ListEntriesAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 1000)
        {
            throw QuotaException.Invalid($"limit must be between 1 and 1000 (got {limit})");
        }

        var book = Book(accountId);
        lock (book)
        {
            var now = _time.GetUtcNow();
            book.Advance(now);
            DecideEvents(book, now);
            return ValueTask.FromResult(book.Entries(after, limit));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TouchAsync(string accountId, TimeSpan lead, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        ValidateLead(lead);
        if (!_books.TryGetValue(accountId, out var book))
        {
            return ValueTask.FromResult(false);
        }

        lock (book)
        {
            var now = _time.GetUtcNow();
            book.Advance(now);
            Events.Decide(book.Policy, book.Balance(), now, book.ExpiredGrants, book.Expiring(now, lead));
            book.ExpiredGrants.Clear();
            return ValueTask.FromResult(true);
        }
    }

    /// <summary>The accounts this ledger holds, for the periodic expiry pass (a snapshot; accounts added meanwhile may
    /// be missing).</summary>
    public IReadOnlyList<string> AccountIds() => [.. _books.Keys];

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless the lead of a touch is positive.</summary>
    internal static void ValidateLead(TimeSpan lead) =>
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lead, TimeSpan.Zero);

    /// <summary>What the account's book keeps (grants, leases, instance records, ledger entries); 0 for an unknown
    /// account. For tests that check nothing grows without bound.</summary>
    internal int StoredRecords(string accountId)
    {
        if (!_books.TryGetValue(accountId, out var book))
        {
            return 0;
        }

        lock (book)
        {
            return book.StoredRecords;
        }
    }

    /// <summary>
    /// Test hook for a store that goes back in time (docs/design.md#store-rollback): a copy of every account's book as it
    /// is now, like a backup or the last AOF write that survived a crash. Not reachable from the sidecar: internal.
    /// </summary>
    internal IReadOnlyDictionary<string, AccountBook> Backup()
    {
        var backup = new Dictionary<string, AccountBook>(StringComparer.Ordinal);
        foreach (var (id, book) in _books)
        {
            lock (book)
            {
                backup.Add(id, book.Copy());
            }
        }

        return backup;
    }

    /// <summary>
    /// Test hook: the ledger becomes what <paramref name="backup"/> held, as a store restarted from it would (accounts
    /// created since are gone). A call running meanwhile on a replaced book is lost with it, as a write the store
    /// answered and then lost. The backup stays usable.
    /// </summary>
    internal void Restore(IReadOnlyDictionary<string, AccountBook> backup)
    {
        lock (_tree)
        {
            RestoreBooks(backup);
            RebuildIndex();
        }
    }

    private void RestoreBooks(IReadOnlyDictionary<string, AccountBook> backup)
    {
        foreach (var id in _books.Keys)
        {
            if (!backup.ContainsKey(id))
            {
                _books.TryRemove(id, out _);
            }
        }

        foreach (var (id, book) in backup)
        {
            _books[id] = book.Copy();
        }
    }

    // Every call that applies a change (or what time has made due) decides the account's balance events in the same
    // locked step, as the Redis ledger's save() does in the same script (docs/design.md#balance-events).
    private void DecideEvents(AccountBook book, DateTimeOffset now)
    {
        Events.Decide(book.Policy, book.Balance(), now, book.ExpiredGrants);
        book.ExpiredGrants.Clear();
    }

    private AccountBook Book(string accountId)
    {
        Validation.AccountId(accountId, "account_id");
        return _books.TryGetValue(accountId, out var book)
            ? book
            : throw QuotaException.NotFound($"account '{accountId}' not found; create it with UpsertAccount first");
    }
}
