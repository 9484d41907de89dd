using QuotaSidecar.Core;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Redis.Scripts;
using StackExchange.Redis;

namespace QuotaSidecar.Redis;

/// <summary>
/// The account tree on Redis (docs/design.md#account-tree). A child and its parent live in different slots, so no
/// script sees both: the checks that span accounts (the parent exists, no cycle, depth) read the tree key by key here,
/// before the upsert function, which decides on the account's own slot what is decided there (a parent change while
/// leased; the parent still being the one read here). The children index (<see cref="AccountKeys.Children"/>) may hold
/// an account that is not (or no longer) a child, never miss one for long: an account enters its new parent's index
/// before its parent changes and leaves the old one after; readers keep only the ids whose account names the parent.
/// </summary>
public sealed partial class RedisLedger
{
    // Read-and-check rounds of one upsert when other upserts keep changing the account's parent in between.
    private const int UpsertAttempts = 3;

    /// <inheritdoc />
    public async ValueTask<AccountView> UpsertAccountAsync(AccountPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();

        // First as if the parent stays (nearly every upsert): one call, no tree to read. The function says when it does not.
        var reply = await UpsertAsync(policy, "?", cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ScriptReplies.Status(reply) is -5 or -4; attempt++)
        {
            if (attempt > UpsertAttempts)
            {
                throw new QuotaException(
                    QuotaError.FailedPrecondition,
                    $"account '{policy.AccountId}' had its parent changed by other UpsertAccount calls {UpsertAttempts} times while this one checked the tree; retry");
            }

            var (exists, before) = await ReadNodeAsync(policy.AccountId, cancellationToken).ConfigureAwait(false);
            var moves = !string.Equals(before, policy.ParentId, StringComparison.Ordinal);
            if (moves && policy.ParentId is { } parentId)
            {
                var ancestors = await AncestorsAsync(parentId, policy.AccountId, cancellationToken).ConfigureAwait(false);
                var height = exists && ancestors.Count > 0 ? await SubtreeHeightAsync(policy.AccountId, cancellationToken).ConfigureAwait(false) : 1;
                AccountTree.CheckParent(policy.AccountId, parentId, ancestors, height);

                // Into the new parent's index before the parent changes: the index never misses a child.
                await DirectAsync(
                    "tree_index", policy.AccountId, db => db.SortedSetAddAsync(Children(parentId), policy.AccountId, 0), cancellationToken).ConfigureAwait(false);
            }

            reply = await UpsertAsync(policy, exists ? before ?? "" : "-", cancellationToken).ConfigureAwait(false);
            var status = ScriptReplies.Status(reply);
            if (status == -3)
            {
                if (policy.ParentId is { } refused)
                {
                    await RemoveFromIndexAsync(refused, policy.AccountId, cancellationToken).ConfigureAwait(false);
                }

                var (leased, overageLeased) = ScriptReplies.LeasedOut(reply);
                throw AccountTree.Leased(policy.AccountId, leased, overageLeased);
            }

            if (status == 1 && moves && before is { } oldParent)
            {
                await RemoveFromIndexAsync(oldParent, policy.AccountId, cancellationToken).ConfigureAwait(false);
            }
        }

        EventsPending?.Invoke(policy.AccountId);
        return ScriptReplies.AccountView(policy.AccountId, reply);
    }

    /// <inheritdoc />
    /// <remarks>Reads the index of the account (ZRANGE BYLEX) and keeps the ids whose account names it as parent (one HGET
    /// each, pipelined); a page may take more than one round of reads when the index holds ids that are no children.</remarks>
    public async ValueTask<ChildPage> ListChildrenAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default)
    {
        AccountTree.ValidatePage(accountId, after, limit);
        if (!await DirectAsync("tree_read", accountId, db => db.KeyExistsAsync(AccountKeys.Account(_keyPrefix, accountId)), cancellationToken).ConfigureAwait(false))
        {
            throw AccountNotFound(accountId);
        }

        var ids = new List<string>();
        var cursor = after ?? "";
        while (ids.Count <= limit)
        {
            var want = limit + 1 - ids.Count;
            var from = cursor;
            var raw = await DirectAsync(
                "tree_read",
                accountId,
                db => db.SortedSetRangeByValueAsync(
                    Children(accountId), from.Length == 0 ? default : (RedisValue)from, default, from.Length == 0 ? Exclude.None : Exclude.Start, take: want),
                cancellationToken).ConfigureAwait(false);
            if (raw.Length == 0)
            {
                break;
            }

            foreach (var (id, parent) in await ParentsAsync(raw, accountId, cancellationToken).ConfigureAwait(false))
            {
                if (string.Equals(parent, accountId, StringComparison.Ordinal))
                {
                    ids.Add(id);
                }
            }

            cursor = (string)raw[^1]!;
            if (raw.Length < want)
            {
                break;
            }
        }

        if (ids.Count <= limit)
        {
            return new ChildPage(ids, "");
        }

        ids.RemoveRange(limit, ids.Count - limit);
        return new ChildPage(ids, ids[^1]);
    }

    private async Task<RedisResult> UpsertAsync(AccountPolicy policy, string expectedParent, CancellationToken cancellationToken) =>
        await RunAsync(
            LedgerLibrary.Instance.UpsertAccount,
            policy.AccountId,
            [
                (int)policy.Status, (int)policy.OverageMode, policy.OverageLimit, policy.LowBalanceThreshold, policy.Unit,
                policy.ParentId ?? "", expectedParent,
            ],
            cancellationToken).ConfigureAwait(false);

    private RedisKey Children(string accountId) => AccountKeys.Children(_keyPrefix, accountId);

    // Whether the account exists, and its parent (null: a root).
    private async Task<(bool Exists, string? Parent)> ReadNodeAsync(string accountId, CancellationToken cancellationToken)
    {
        var values = await DirectAsync(
            "tree_read", accountId, db => db.HashGetAsync(AccountKeys.Account(_keyPrefix, accountId), [(RedisValue)"status", (RedisValue)"parent_id"]), cancellationToken).ConfigureAwait(false);
        return (!values[0].IsNull, values[1].IsNullOrEmpty ? null : (string)values[1]!);
    }

    // The parent and its ancestors upward (AccountTree.CheckParent): empty when the parent does not exist; stops after the
    // account itself (a cycle) or after MaxDepth + 1 accounts. One read per level: each account is in its own slot.
    private async Task<List<string>> AncestorsAsync(string parentId, string accountId, CancellationToken cancellationToken)
    {
        var chain = new List<string>(AccountTree.MaxDepth + 1);
        string? id = parentId;
        while (id is not null && chain.Count <= AccountTree.MaxDepth)
        {
            var (exists, parent) = await ReadNodeAsync(id, cancellationToken).ConfigureAwait(false);
            if (!exists)
            {
                break;
            }

            chain.Add(id);
            if (string.Equals(id, accountId, StringComparison.Ordinal))
            {
                break;
            }

            id = parent;
        }

        return chain;
    }

    // Levels of the account's subtree, the account included; counts at most MaxDepth + 1 levels (enough to refuse).
    private async Task<int> SubtreeHeightAsync(string accountId, CancellationToken cancellationToken)
    {
        List<string> level = [accountId];
        var height = 1;
        while (height <= AccountTree.MaxDepth)
        {
            var next = new List<string>();
            foreach (var id in level)
            {
                var after = "";
                do
                {
                    var page = await ListChildrenAsync(id, after, 1000, cancellationToken).ConfigureAwait(false);
                    next.AddRange(page.ChildIds);
                    after = page.Next;
                }
                while (after.Length > 0);
            }

            if (next.Count == 0)
            {
                break;
            }

            height++;
            level = next;
        }

        return height;
    }

    private async Task<(string Id, string? Parent)[]> ParentsAsync(RedisValue[] ids, string accountId, CancellationToken cancellationToken)
    {
        var reads = new Task<RedisValue>[ids.Length];
        var db = _redis.GetDatabase();
        Count("tree_read");
        try
        {
            for (var i = 0; i < ids.Length; i++)
            {
                reads[i] = db.HashGetAsync(AccountKeys.Account(_keyPrefix, (string)ids[i]!), "parent_id");
            }

            await Task.WhenAll(reads).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw Unavailable("tree_read", accountId, e);
        }

        var parents = new (string, string?)[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            parents[i] = ((string)ids[i]!, (string?)reads[i].Result);
        }

        return parents;
    }

    // Out of a parent's index, unless the account names that parent again by now (another upsert moved it back).
    private async Task RemoveFromIndexAsync(string parentId, string accountId, CancellationToken cancellationToken)
    {
        var (_, parent) = await ReadNodeAsync(accountId, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(parent, parentId, StringComparison.Ordinal))
        {
            await DirectAsync("tree_index", accountId, db => db.SortedSetRemoveAsync(Children(parentId), accountId), cancellationToken).ConfigureAwait(false);
        }
    }

    // One plain command (no function) of the tree's, counted like a script call under the name given.
    private async Task<T> DirectAsync<T>(string what, string accountId, Func<IDatabase, Task<T>> command, CancellationToken cancellationToken)
    {
        Count(what);
        try
        {
            return await command(_redis.GetDatabase()).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw Unavailable(what, accountId, e);
        }
    }

    private static QuotaException Unavailable(string what, string accountId, Exception e) =>
        new($"the Redis central ledger is unavailable ({what} for account '{accountId}'): {e.Message}", e);
}
