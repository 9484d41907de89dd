using QuotaSidecar.Core.Accounts;

namespace QuotaSidecar.Core.Ledger.Embedded;

/// <summary>The account tree in the embedded ledger (docs/design.md#account-tree): reading the chain of ancestors and the
/// height of a subtree for <see cref="AccountTree.CheckParent"/>, and the children index, all under <c>_tree</c>.</summary>
public sealed partial class EmbeddedLedger
{
    // Above every account id ([A-Za-z0-9._:-] are all below '~'): the upper end of a view "after the cursor".
    private const string AboveEveryId = "~";

    // parent id -> its children, ordinal: the order ListChildrenAsync pages in (the Redis ledger's ZRANGE BYLEX order).
    private readonly Dictionary<string, SortedSet<string>> _children = new(StringComparer.Ordinal);

    public ValueTask<ChildPage> ListChildrenAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default)
    {
        AccountTree.ValidatePage(accountId, after, limit);
        _ = Book(accountId);
        lock (_tree)
        {
            if (!_children.TryGetValue(accountId, out var children) || children.Count == 0)
            {
                return ValueTask.FromResult(new ChildPage([], ""));
            }

            var view = string.IsNullOrEmpty(after) ? children : children.GetViewBetween(after, AboveEveryId);
            var ids = new List<string>(Math.Min(limit, view.Count));
            var more = false;
            foreach (var id in view)
            {
                if (string.Equals(id, after, StringComparison.Ordinal))
                {
                    continue; // the cursor is exclusive
                }

                if (ids.Count == limit)
                {
                    more = true;
                    break;
                }

                ids.Add(id);
            }

            return ValueTask.FromResult(new ChildPage(ids, more ? ids[^1] : ""));
        }
    }

    // The parent and its ancestors upward (AccountTree.CheckParent): empty when the parent does not exist; stops after
    // the account itself (a cycle) or after MaxDepth + 1 accounts.
    private List<string> Ancestors(string parentId, string accountId)
    {
        var chain = new List<string>(AccountTree.MaxDepth + 1);
        string? id = parentId;
        while (id is not null && chain.Count <= AccountTree.MaxDepth && _books.TryGetValue(id, out var book))
        {
            chain.Add(id);
            if (string.Equals(id, accountId, StringComparison.Ordinal))
            {
                break;
            }

            id = book.Policy.ParentId;
        }

        return chain;
    }

    // Levels of the account's subtree, the account included; counts at most MaxDepth + 1 levels (enough to refuse).
    private int SubtreeHeight(string accountId)
    {
        List<string> level = [accountId];
        var height = 1;
        while (height <= AccountTree.MaxDepth)
        {
            var next = new List<string>();
            foreach (var id in level)
            {
                if (_children.TryGetValue(id, out var children))
                {
                    next.AddRange(children);
                }
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

    private void MoveInIndex(string accountId, string? from, string? to)
    {
        if (from is not null && _children.TryGetValue(from, out var old))
        {
            old.Remove(accountId);
            if (old.Count == 0)
            {
                _children.Remove(from);
            }
        }

        if (to is not null)
        {
            if (!_children.TryGetValue(to, out var children))
            {
                children = new SortedSet<string>(StringComparer.Ordinal);
                _children.Add(to, children);
            }

            children.Add(accountId);
        }
    }

    // After a restore the books are the backup's: the index is derived from their parents again.
    private void RebuildIndex()
    {
        _children.Clear();
        foreach (var (id, book) in _books)
        {
            MoveInIndex(id, null, book.Policy.ParentId);
        }
    }
}
