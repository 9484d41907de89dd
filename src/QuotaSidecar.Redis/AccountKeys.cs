using StackExchange.Redis;

namespace QuotaSidecar.Redis;

/// <summary>
/// The Redis keys of one account, in the order every script expects them (KEYS[1..7]). Each carries the hash tag
/// <c>{account_id}</c>, so all of them live in one cluster slot and one script may touch them all.
/// </summary>
internal static class AccountKeys
{
    public static RedisKey[] For(string prefix, string accountId)
    {
        var root = Root(prefix, accountId);
        return
        [
            root + "account",        // hash: policy, totals, reclaim_at, counters
            root + "grants",         // hash: grant_id -> encoded grant, the working set (not drained)
            root + "leases",         // hash: instance -> encoded lease (slices per grant, overage, expiry)
            root + "exchanges",      // hash: instance -> last sequence and its first result
            root + "ledger",         // stream: ledger entries, trimmed to MaxLedgerEntries
            root + "drained_grants", // hash: grant_id -> encoded grant with nothing left for good (expired,
                                     // voided, or used up and not recurring, none of it on a lease)
            root + "usage",          // hash: canonical label set -> credits used, running total (usage labels)
            root + "events",         // stream: balance events not yet relayed to the global stream (Events/)
        ];
    }

    /// <summary>The account hash alone (KEYS[1]), for the tree's reads across slots (RedisLedger.Tree.cs).</summary>
    public static RedisKey Account(string prefix, string accountId) => Root(prefix, accountId) + "account";

    /// <summary>The account's children index (docs/design.md#account-tree): a sorted set of child ids, all of score 0
    /// (so ZRANGE BYLEX pages them by id), in the PARENT's slot. Written by RedisLedger, never by the library: a child
    /// and its parent live in different slots.</summary>
    public static RedisKey Children(string prefix, string accountId) => Root(prefix, accountId) + "children";

    private static string Root(string prefix, string accountId) =>
        prefix.Length == 0 ? $"{{{accountId}}}:" : $"{prefix}:{{{accountId}}}:";
}
