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
        var root = prefix.Length == 0 ? $"{{{accountId}}}:" : $"{prefix}:{{{accountId}}}:";
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
}
