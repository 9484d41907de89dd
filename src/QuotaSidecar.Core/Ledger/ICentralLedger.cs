using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Ledger;

/// <summary>
/// The central balance every sidecar of an account shares (docs/design.md §4). Two implementations with identical
/// semantics: <see cref="Embedded.EmbeddedLedger"/> (in process) and the Redis ledger. Every method is atomic
/// per account. Errors: <see cref="QuotaException"/> (with <see cref="QuotaError.Unavailable"/> when the store
/// cannot be reached).
/// </summary>
public interface ICentralLedger
{
    /// <summary>
    /// Reports usage, returns credits, renews the instance's lease and takes more, in one atomic step applied at
    /// most once per (instance, account, sequence). Also reclaims other instances' expired leases, and applies
    /// grant activation, expiry and recurring renewal due by now.
    /// </summary>
    ValueTask<LeaseExchangeResult> ExchangeAsync(LeaseExchange exchange, CancellationToken cancellationToken = default);

    /// <summary>Creates or updates an account's settings; its grants and balance are kept. The policy's
    /// <see cref="AccountPolicy.ParentId"/> is the account's parent from now on (null: a root); a new or changed parent
    /// must pass <see cref="AccountTree.CheckParent"/> (NotFound, InvalidArgument), and an existing account's parent
    /// changes only while no sidecar holds a lease on it (FailedPrecondition, <see cref="AccountTree.Leased"/>).</summary>
    ValueTask<AccountView> UpsertAccountAsync(AccountPolicy policy, CancellationToken cancellationToken = default);

    /// <summary>The account with its balance, or null when it does not exist.</summary>
    ValueTask<AccountView?> GetAccountAsync(string accountId, CancellationToken cancellationToken = default);

    /// <summary>Adds credits. Idempotent on grant id: same fields return the existing grant, others are AlreadyExists.
    /// The account must exist (NotFound otherwise).</summary>
    ValueTask<Grant> GrantAsync(GrantSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Withdraws the unused remainder of a grant (repeating it returns the voided grant).</summary>
    ValueTask<Grant> VoidGrantAsync(string accountId, string grantId, CancellationToken cancellationToken = default);

    /// <summary>The account's grants in burn-down order; inactive ones (future, expired, voided) only when asked.</summary>
    ValueTask<IReadOnlyList<Grant>> ListGrantsAsync(string accountId, bool includeInactive, CancellationToken cancellationToken = default);

    /// <summary>Ledger entries after the <paramref name="after"/> cursor (empty: from the oldest kept), oldest first.</summary>
    ValueTask<LedgerPage> ListEntriesAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>The account's children (docs/design.md#account-tree), ordered by id (ordinal), after the
    /// <paramref name="after"/> cursor (empty: from the first), at most <paramref name="limit"/> (1..1000) of them.
    /// NotFound for an unknown account.</summary>
    ValueTask<ChildPage> ListChildrenAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>The account's usage per label set (running totals since the account began, the overflow set included),
    /// ordered by label set (ordinal). Null when the account does not exist.</summary>
    ValueTask<IReadOnlyList<LabelUsage>?> GetUsageAsync(string accountId, CancellationToken cancellationToken = default);
}
