using QuotaSidecar.Core.Holds;
using QuotaSidecar.Core.Leases;
using QuotaSidecar.Core.Settlement;

namespace QuotaSidecar.Core.Engine;

/// <summary>
/// Requests on an account with a parent (docs/design.md#path-holds): each node of the path, the account and its
/// ancestors, must cover the amount from its own lease, under its own rules; the gates of all of them are taken in one
/// order (<see cref="AccountPath"/>) and either every node is charged or none. A path hold is a hold per node, linked
/// upwards from the request's own (<see cref="Hold.Up"/>); Commit, Release and expiry apply to every part. Each node
/// keeps its own lease and settles on its own exchange, exactly as a flat account does.
/// </summary>
public sealed partial class QuotaEngine
{
    /// <summary>How a try of a path under its gates ended.</summary>
    private enum PathTry
    {
        /// <summary>Answered (granted or denied): the result is final.</summary>
        Answered,

        /// <summary>A node's lease cannot cover the amount: the slow path works on that node.</summary>
        Short,

        /// <summary>A node was evicted or is not loaded: resolve the path again.</summary>
        Stale,

        /// <summary>The client's reservation id was taken by a concurrent Reserve (answered as a retry of it).</summary>
        IdTaken,
    }

    /// <summary>The path of <paramref name="leaf"/> from this sidecar's table. False when an ancestor has no known local
    /// state (<paramref name="missing"/>: its id; the slow path loads it).</summary>
    private bool TryResolvePath(LocalAccount leaf, out AccountPath path, out string? missing)
    {
        path = AccountPath.Of(leaf);
        missing = null;
        for (var parentId = leaf.ParentId; parentId is not null;)
        {
            if (!_accounts.TryGet(parentId, out var parent) || !parent.Known || parent.Evicted)
            {
                missing = parentId;
                return false;
            }

            if (!path.Add(parent))
            {
                break; // a stale view of a tree rearranged since: charge the nodes found (the store forbids cycles)
            }

            parentId = parent.ParentId;
        }

        return true;
    }

    /// <summary>The fast path of a Reserve on a tree node: false when a node's lease cannot answer (the slow path then
    /// asks the store).</summary>
    private bool TryReservePathLocal(LocalAccount leaf, long amount, string? reservationId, long ttlTicks, out ReserveResult result)
    {
        if (!TryResolvePath(leaf, out var path, out _))
        {
            result = default;
            return false;
        }

        return TryReservePath(ref path, amount, reservationId, ttlTicks, failOpen: false, out result, out _) == PathTry.Answered;
    }

    /// <summary>
    /// Under every node's gate: a denial when a node is suspended; <see cref="PathTry.Short"/> naming the first node
    /// (nearest the leaf) whose lease cannot cover the amount; else a hold on every node. With
    /// <paramref name="failOpen"/> (the store is unreachable) a node short of lease takes from its fail-open allowance.
    /// </summary>
    private PathTry TryReservePath(ref AccountPath path, long amount, string? reservationId, long ttlTicks, bool failOpen, out ReserveResult result, out LocalAccount? shortNode)
    {
        PathTry tried;
        Hold? taken;
        path.Enter();
        try
        {
            tried = TryReservePathLocked(ref path, amount, reservationId, ttlTicks, failOpen, out result, out shortNode, out taken);
        }
        finally
        {
            path.Exit();
        }

        if (tried != PathTry.IdTaken)
        {
            return tried;
        }

        // Outside the gates: the retry takes the other Reserve's.
        result = Replay(taken, path.Leaf.Id, amount, ttlTicks);
        return PathTry.Answered;
    }

    private PathTry TryReservePathLocked(
        ref AccountPath path, long amount, string? reservationId, long ttlTicks, bool failOpen, out ReserveResult result, out LocalAccount? shortNode, out Hold? taken)
    {
        result = default;
        shortNode = null;
        taken = null;
        var leaf = path.Leaf;
        var now = _time.GetUtcNow().UtcTicks;
        if (!path.IsCurrent(now))
        {
            return PathTry.Stale;
        }

        if (path.FirstSuspended() is { } suspended)
        {
            result = Deny(leaf, reservationId, amount, ttlTicks, now, DenyReason.AccountSuspended, suspended);
            return PathTry.Answered;
        }

        for (var i = 0; i < path.Count; i++)
        {
            var node = path[i];
            if (!node.CanHold(amount, now) && !(failOpen && node.FailOpenAllows(amount, _options.FailOpenAllowance)))
            {
                shortNode = node;
                return PathTry.Short;
            }
        }

        if (!TryOpenHold(leaf, amount, reservationId, ttlTicks, now, out var hold, out taken))
        {
            return PathTry.IdTaken;
        }

        // The parts from the top down, each linked to the one above it; the request's own hold last, at the bottom.
        Hold? up = null;
        var hint = long.MaxValue;
        var low = false;
        for (var i = path.Count - 1; i >= 0; i--)
        {
            var node = path[i];
            var part = i == 0 ? hold : new Hold(hold.Id, node, amount, ttlTicks, now) { IsAncestorPart = true };
            part.Up = up;
            if (node.CanHold(amount, now))
            {
                node.TakeForHold(part, now);
                ListIfTracked(node);
            }
            else
            {
                node.TakeUnbacked(part);
                _accounts.MarkActive(node); // fail-open usage to report, though no exchange brought credits
            }

            RefillIfLow(node);
            if (!node.IsTrack)
            {
                hint = Math.Min(hint, node.BalanceHint);
            }

            low |= node.IsLowBalance;
            up = part;
        }

        hold.BalanceHint = hint == long.MaxValue ? leaf.BalanceHint : hint;
        hold.LowBalance = low;
        _metrics.Decision(Decision.Granted, DenyReason.None, failOpen: hold.Unbacked > 0 && !leaf.IsTrack);
        result = ReserveResult.Granted(hold);
        return PathTry.Answered;
    }

    /// <summary>The slow path of a Reserve on a tree node: loads the ancestors this sidecar has no state for, then
    /// follows each short node's <see cref="ShortfallPolicy"/> until every node covers the request or one refuses.
    /// Within the request's one <paramref name="wait"/> budget, like a flat account.</summary>
    private async ValueTask<ReserveResult> ReservePathSlowAsync(
        LocalAccount leaf, long amount, string? reservationId, long ttlTicks, StoreWait wait, bool leafExchanged, CancellationToken cancellationToken)
    {
        var policies = new NodePolicies(_options.ReclaimWait);
        if (leafExchanged)
        {
            policies.Exchanged(leaf.Id);
        }

        var accountId = leaf.Id;
        while (true)
        {
            if (leaf.Evicted || !leaf.Known)
            {
                var reload = await LoadAsync(accountId, new ExchangeIntent(Need: amount), wait, cancellationToken);
                if (reload.Account is null)
                {
                    return DenyUnloaded(reload, reservationId, accountId);
                }

                leaf = reload.Account;
                if (reload.Exchanged)
                {
                    policies.Exchanged(accountId);
                }
            }

            if (leaf.ParentId is null)
            {
                // The store moved the account to the top of a tree meanwhile: a flat Reserve from here.
                return await ReserveSlowAsync(accountId, amount, reservationId, ttlTicks, cancellationToken);
            }

            if (!TryResolvePath(leaf, out var path, out var missing))
            {
                var load = await LoadAsync(missing!, new ExchangeIntent(Need: amount), wait, cancellationToken);
                if (load.Account is null)
                {
                    return Denied(load.StoreUnavailable ? DenyReason.StoreUnavailable : DenyReason.UnknownAccount, reservationId, missing!);
                }

                policies.Exchanged(missing!);
                continue;
            }

            var tried = TryReservePath(ref path, amount, reservationId, ttlTicks, failOpen: false, out var result, out var shortNode);
            if (tried == PathTry.Answered)
            {
                return result;
            }

            if (tried == PathTry.Stale)
            {
                continue;
            }

            var node = shortNode!;
            var slot = policies.Slot(node.Id);
            var step = policies.Next(slot, node, amount);
            if (step.Action == ShortfallAction.Deny)
            {
                return DenyLocked(leaf, reservationId, amount, ttlTicks, ShortReason(leaf, node), node);
            }

            if (step.Action == ShortfallAction.WaitForReclaim)
            {
                await Task.Delay(_options.ReclaimWait, _time, cancellationToken);
            }

            var exchange = _exchanger.ExchangeAsync(node, step.Intent, out var joined);
            var outcome = await wait.WaitAsync(exchange, cancellationToken);
            if (outcome == ExchangeOutcome.Done && step.Intent.OverageNeed == 0 && (joined || !node.TakeFellShort))
            {
                policies.Refund(slot);
            }

            switch (outcome)
            {
                case ExchangeOutcome.UnknownAccount:
                    _accounts.RemoveIfUnknown(node);
                    return Denied(DenyReason.UnknownAccount, reservationId, node.Id);
                case ExchangeOutcome.StoreUnavailable or ExchangeOutcome.TimedOut:
                    // Answered from what is local, as for a flat account: the leases, then each short node's fail-open
                    // allowance, else a denial naming the node the store could not refill.
                    LocalAccount? stillShort = null;
                    if (TryResolvePath(leaf, out path, out _)
                        && TryReservePath(ref path, amount, reservationId, ttlTicks, failOpen: true, out result, out stillShort) == PathTry.Answered)
                    {
                        return result;
                    }

                    return DenyLocked(leaf, reservationId, amount, ttlTicks, DenyReason.StoreUnavailable, stillShort ?? node);
            }
        }
    }

    /// <summary>The fast path of a Consume on a tree node: every node's lease credits cover it, or false.</summary>
    private bool TryConsumePathLocal(LocalAccount leaf, long amount, string? labelSet, out ConsumeResult result)
    {
        result = default;
        if (!TryResolvePath(leaf, out var path, out _))
        {
            return false;
        }

        path.Enter();
        try
        {
            var now = _time.GetUtcNow().UtcTicks;
            if (!path.IsCurrent(now))
            {
                return false;
            }

            if (path.FirstSuspended() is { } suspended)
            {
                _metrics.Decision(Decision.Denied, DenyReason.AccountSuspended);
                result = ConsumeResult.Denied(DenyReason.AccountSuspended, suspended.BalanceHint, suspended.IsLowBalance, suspended.Id);
                return true;
            }

            for (var i = 0; i < path.Count; i++)
            {
                if (!path[i].CanConsume(amount, now))
                {
                    return false; // the slow path names the node that refuses, after asking the store
                }
            }

            var hint = long.MaxValue;
            var low = false;
            for (var i = 0; i < path.Count; i++)
            {
                var node = path[i];
                node.TryConsume(amount, now, i == 0 ? labelSet : null);
                ListIfTracked(node);
                RefillIfLow(node);
                if (!node.IsTrack)
                {
                    hint = Math.Min(hint, node.BalanceHint);
                }

                low |= node.IsLowBalance;
            }

            _metrics.Decision(Decision.Granted, DenyReason.None);
            result = new ConsumeResult(Decision.Granted, DenyReason.None, hint == long.MaxValue ? leaf.BalanceHint : hint, low, false);
            return true;
        }
        finally
        {
            path.Exit();
        }
    }

    /// <summary>Commits every part of a path hold with the same amount, each under its own account's rules (what a
    /// part does not cover is drawn from that node's lease, then its overage allowance, then charged centrally).</summary>
    private CommitResult CommitPath(Hold hold, long amount, string? labelSet)
    {
        var path = PathOf(hold);
        path.Enter();
        try
        {
            var now = _time.GetUtcNow().UtcTicks;
            ExpirePartsIfDue(hold, now);
            if (hold.State != HoldState.Open)
            {
                return HoldAnswers.Commit(hold.Id, amount, HoldOutcome.Of(hold));
            }

            // Top down, so the request's own part, committed last, answers with the smallest hint of the path.
            var above = long.MaxValue;
            for (var i = path.Count - 1; i >= 0; i--)
            {
                var part = PartAt(hold, i);
                var node = part.Account;
                if (part.State == HoldState.Open)
                {
                    node.Commit(part, amount, now, i == 0 ? labelSet : null, i == 0 ? above : long.MaxValue);
                    ListIfTracked(node);
                    RefillIfLow(node);
                }

                if (i > 0 && !node.IsTrack)
                {
                    above = Math.Min(above, node.BalanceHint);
                }
            }

            return new CommitResult(hold.Committed, hold.Released, hold.Overage, hold.FinalBalanceHint);
        }
        finally
        {
            path.Exit();
        }
    }

    /// <summary>Gives every part of a path hold back.</summary>
    private ReleaseResult ReleasePath(Hold hold)
    {
        var path = PathOf(hold);
        path.Enter();
        try
        {
            var now = _time.GetUtcNow().UtcTicks;
            ExpirePartsIfDue(hold, now);
            if (hold.State == HoldState.Open)
            {
                var above = long.MaxValue;
                for (var i = path.Count - 1; i >= 0; i--)
                {
                    var part = PartAt(hold, i);
                    if (part.State == HoldState.Open)
                    {
                        part.Account.ReturnHold(part, HoldState.Released, now, i == 0 ? above : long.MaxValue);
                    }

                    if (i > 0 && !part.Account.IsTrack)
                    {
                        above = Math.Min(above, part.Account.BalanceHint);
                    }
                }
            }

            return HoldAnswers.Release(hold.Id, HoldOutcome.Of(hold));
        }
        finally
        {
            path.Exit();
        }
    }

    /// <summary>The accounts of a path hold's parts: the path it opened on, whatever the tree is now.</summary>
    private static AccountPath PathOf(Hold hold)
    {
        var path = AccountPath.Of(hold.Account);
        for (var part = hold.Up; part is not null; part = part.Up)
        {
            path.Add(part.Account);
        }

        return path;
    }

    /// <summary>The part of a path hold <paramref name="index"/> steps up from the request's own (0).</summary>
    private static Hold PartAt(Hold hold, int index)
    {
        var part = hold;
        for (var i = 0; i < index; i++)
        {
            part = part.Up!;
        }

        return part;
    }

    /// <summary>Expires every part whose time has come (they share one expiry, so all or none). Gates held.</summary>
    private static void ExpirePartsIfDue(Hold hold, long now)
    {
        for (var part = hold; part is not null; part = part.Up)
        {
            part.Account.ExpireIfDue(part, now);
        }
    }

    private static DenyReason ShortReason(LocalAccount leaf, LocalAccount node) =>
        node == leaf ? DenyReason.InsufficientCredits : DenyReason.AncestorInsufficientCredits;

    /// <summary>The shortfall policy of each node a slow Reserve worked on: a path's nodes, or a few more when the tree
    /// was rearranged during the request (each one costs an exchange, so the request's wait budget bounds them).</summary>
    private sealed class NodePolicies(TimeSpan reclaimWait)
    {
        private readonly List<string> _ids = new(AccountPath.MaxDepth);
        private ShortfallPolicy[] _policies = new ShortfallPolicy[AccountPath.MaxDepth];

        /// <summary>The node was loaded by an exchange made for this request (it counts as its first).</summary>
        public void Exchanged(string accountId)
        {
            if (!_ids.Contains(accountId))
            {
                Add(accountId, exchanged: true);
            }
        }

        /// <summary>The node's place, for <see cref="Next"/> and <see cref="Refund"/>.</summary>
        public int Slot(string accountId)
        {
            var i = _ids.IndexOf(accountId);
            return i >= 0 ? i : Add(accountId, exchanged: false);
        }

        public ShortfallStep Next(int slot, LocalAccount node, long amount) => _policies[slot].Next(node, amount);

        public void Refund(int slot) => _policies[slot].Refund();

        private int Add(string accountId, bool exchanged)
        {
            if (_ids.Count == _policies.Length)
            {
                Array.Resize(ref _policies, _policies.Length * 2);
            }

            _policies[_ids.Count] = new ShortfallPolicy(exchanged, reclaimWait);
            _ids.Add(accountId);
            return _ids.Count - 1;
        }
    }
}
