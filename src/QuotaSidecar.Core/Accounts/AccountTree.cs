namespace QuotaSidecar.Core.Accounts;

/// <summary>
/// The rules of the account tree (docs/design.md#account-tree) that <c>UpsertAccount</c> checks before it sets or
/// changes a parent, shared by both ledgers so that they refuse the same requests with the same messages. Each ledger
/// reads the tree its own way (the embedded one from its books, the Redis one key by key, since a parent and its child
/// live in different cluster slots) and hands the figures to <see cref="CheckParent"/>.
/// </summary>
public static class AccountTree
{
    /// <summary>The most levels a tree may have, the root being level 1.</summary>
    public const int MaxDepth = 4;

    /// <summary>
    /// Throws unless <paramref name="accountId"/> may have <paramref name="parentId"/> as its parent: the parent exists
    /// (NotFound), is neither the account nor one of its descendants (InvalidArgument: a cycle), and the deepest account
    /// of the subtree moved under it lands at level <see cref="MaxDepth"/> or above (InvalidArgument).
    /// </summary>
    /// <param name="accountId">The account given the parent.</param>
    /// <param name="parentId">The new parent.</param>
    /// <param name="ancestors">The parent and its ancestors upward, read from the ledger: <paramref name="parentId"/>
    /// first, the root last; empty when the parent does not exist. A reader stops after the account itself (a cycle) or
    /// after <see cref="MaxDepth"/> + 1 accounts.</param>
    /// <param name="subtreeHeight">Levels of the account's subtree, the account included: 1 for a new account or one
    /// without children.</param>
    public static void CheckParent(string accountId, string parentId, IReadOnlyList<string> ancestors, int subtreeHeight)
    {
        ArgumentNullException.ThrowIfNull(ancestors);
        if (ancestors.Count == 0)
        {
            throw ParentNotFound(parentId);
        }

        for (var i = 0; i < ancestors.Count; i++)
        {
            if (string.Equals(ancestors[i], accountId, StringComparison.Ordinal))
            {
                throw QuotaException.Invalid(
                    $"parent_id '{parentId}' is account '{accountId}' or one of its descendants: the tree would have a cycle");
            }
        }

        var depth = ancestors.Count + subtreeHeight;
        if (depth > MaxDepth)
        {
            var what = subtreeHeight > 1
                ? $"the deepest account under '{accountId}' at level {depth}"
                : $"account '{accountId}' at level {depth}";
            throw QuotaException.Invalid(
                $"parent_id '{parentId}' would put {what}; a tree has at most {MaxDepth} levels (the root is level 1)");
        }
    }

    /// <summary>Throws InvalidArgument for a malformed request for a page of children: the account id, the cursor (an
    /// account id from a previous page, or empty) and the limit (1..1000). Both ledgers check the same way.</summary>
    public static void ValidatePage(string accountId, string? after, int limit)
    {
        Validation.AccountId(accountId, "account_id");
        if (limit is < 1 or > 1000)
        {
            throw QuotaException.Invalid($"limit must be between 1 and 1000 (got {limit})");
        }

        if (!string.IsNullOrEmpty(after))
        {
            Validation.AccountId(after, "after");
        }
    }

    /// <summary>The parent named does not exist.</summary>
    public static QuotaException ParentNotFound(string parentId) =>
        new(QuotaError.NotFound, $"parent_id '{parentId}' not found; create the parent account first");

    /// <summary>The account's parent cannot change now: sidecars hold <paramref name="leased"/> credits and
    /// <paramref name="overageLeased"/> overage allowance of it on leases.</summary>
    public static QuotaException Leased(string accountId, long leased, long overageLeased) =>
        new(
            QuotaError.FailedPrecondition,
            $"parent_id of account '{accountId}' cannot change while sidecars hold a lease on it ({leased} credits and "
            + $"{overageLeased} overage allowance out); retry after its leases are returned (a sidecar returns them once "
            + "the account is quiet: Quota:Leases:IdleReturnAfter, default 10 s)");
}
