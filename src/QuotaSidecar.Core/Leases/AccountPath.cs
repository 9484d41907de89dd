using System.Runtime.CompilerServices;

namespace QuotaSidecar.Core.Leases;

/// <summary>
/// The accounts a request on a tree node charges (docs/design.md#path-holds): the node itself, then its ancestors,
/// nearest first, at most <see cref="MaxDepth"/>. A value on the stack, no allocation. <see cref="Enter"/> takes their
/// gates in <see cref="LocalAccount.LockOrder"/>, the one order every request uses, so paths sharing an ancestor never
/// deadlock, even on a stale view of the tree.
/// </summary>
internal struct AccountPath
{
    /// <summary>The deepest tree: a root and three levels under it.</summary>
    public const int MaxDepth = 4;

    private Nodes _nodes;

    public int Count { get; private set; }

    /// <summary>The request's own account.</summary>
    public readonly LocalAccount Leaf => _nodes[0];

    public readonly LocalAccount this[int index] => _nodes[index];

    /// <summary>The path of one account (a root, or one whose ancestors are added next).</summary>
    public static AccountPath Of(LocalAccount leaf)
    {
        var path = default(AccountPath);
        path.Add(leaf);
        return path;
    }

    /// <summary>Adds the next ancestor. False when the path is full or already has it (a stale view of a tree that was
    /// rearranged; the store refuses cycles and depth beyond <see cref="MaxDepth"/>).</summary>
    public bool Add(LocalAccount account)
    {
        if (Count == MaxDepth || Contains(account.Id))
        {
            return false;
        }

        _nodes[Count++] = account;
        return true;
    }

    public readonly bool Contains(string accountId)
    {
        for (var i = 0; i < Count; i++)
        {
            if (_nodes[i].Id == accountId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Under the gates: no node was evicted and each node's parent is still the next one, so the path is the
    /// tree as this sidecar knows it now (false: resolve it again). Also sweeps the nodes' expired holds.</summary>
    public readonly bool IsCurrent(long nowTicks)
    {
        for (var i = 0; i < Count; i++)
        {
            var node = _nodes[i];
            if (node.Evicted || (i + 1 < Count && node.ParentId != _nodes[i + 1].Id))
            {
                return false;
            }

            node.SweepExpired(nowTicks);
        }

        return true;
    }

    /// <summary>Under the gates: the first suspended node, nearest the leaf, or null.</summary>
    public readonly LocalAccount? FirstSuspended()
    {
        for (var i = 0; i < Count; i++)
        {
            if (_nodes[i].IsSuspended)
            {
                return _nodes[i];
            }
        }

        return null;
    }

    /// <summary>Takes every node's gate, in lock order.</summary>
    public readonly void Enter()
    {
        Span<int> order = stackalloc int[MaxDepth];
        Sort(order);
        for (var i = 0; i < Count; i++)
        {
            _nodes[order[i]].Gate.Enter();
        }
    }

    /// <summary>Gives every gate back, in reverse lock order.</summary>
    public readonly void Exit()
    {
        Span<int> order = stackalloc int[MaxDepth];
        Sort(order);
        for (var i = Count - 1; i >= 0; i--)
        {
            _nodes[order[i]].Gate.Exit();
        }
    }

    /// <summary>The node indexes by ascending lock order (an insertion sort of at most four).</summary>
    private readonly void Sort(Span<int> order)
    {
        for (var i = 0; i < Count; i++)
        {
            var j = i;
            while (j > 0 && _nodes[order[j - 1]].LockOrder > _nodes[i].LockOrder)
            {
                order[j] = order[j - 1];
                j--;
            }

            order[j] = i;
        }
    }

    [InlineArray(MaxDepth)]
    private struct Nodes
    {
        private LocalAccount _element;
    }
}
