using System.Globalization;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Scripts;

/// <summary>
/// Reads the library's replies: flat arrays of integers and strings. The fields of each reply are named once here, in
/// the enums below (their order is the array's), and once in ledger.lua's <c>REPLY</c> table; a test compares the two.
/// </summary>
internal static class ScriptReplies
{
    /// <summary><c>REPLY.exchange</c> in ledger.lua.</summary>
    internal enum ExchangeField
    {
        Status,
        Granted,
        OverageGranted,
        Revoked,
        LeaseLost,
        LeaseCredits,
        LeaseExpiresAt,
        Available,
        OverageHeadroom,
        ReclaimRequested,
        AccountStatus,
        OverageMode,
        OverageLimit,
        LowBalanceThreshold,
        Unit,
        InstanceExpired,
        UsedTotal,
        LeaseOverage,
        StoreRolledBack,
        UsageRestored,
        LabelOverflow,
        EventsPending,
        ParentId,
    }

    /// <summary><c>REPLY.account</c> in ledger.lua.</summary>
    internal enum AccountField
    {
        Status,
        AccountStatus,
        OverageMode,
        OverageLimit,
        LowBalanceThreshold,
        Unit,
        Available,
        Leased,
        Consumed,
        Expired,
        Voided,
        Overage,
        Granted,
        OverageLeased,
        ParentId,
    }

    /// <summary><c>REPLY.grant</c> in ledger.lua.</summary>
    internal enum GrantField
    {
        GrantId,
        Amount,
        Remaining,
        Priority,
        Category,
        EffectiveAt,
        EffectiveGiven,
        ExpiresAt,
        VoidedAt,
        Period,
        RolloverMax,
        CreatedAt,
        PeriodIndex,
        Metadata,
    }

    /// <summary>The first element of every reply: 0 = unknown account, -1 = unknown grant, -2 = over the account
    /// total, 1 = done, 2 = grant exists; upsert only: -3 = the parent cannot change while leased (then leased credits
    /// and overage allowance), -4 = the parent is not the one the caller read, -5 = the parent would change and the
    /// caller has not checked the tree.</summary>
    public static long Status(RedisResult reply) => (long)Items(reply)[0];

    /// <summary>How many balance events of the account wait in its outbox after an exchange (to relay).</summary>
    public static long EventsPending(RedisResult reply)
    {
        var r = Items(reply);
        return r.Length > (int)ExchangeField.EventsPending ? (long)r[(int)ExchangeField.EventsPending] : 0;
    }

    public static AccountView AccountView(string accountId, RedisResult reply)
    {
        var r = Items(reply);
        long Long(AccountField f) => (long)r[(int)f];
        var policy = new AccountPolicy(
            accountId,
            (AccountStatus)(int)Long(AccountField.AccountStatus),
            (OverageMode)(int)Long(AccountField.OverageMode),
            Long(AccountField.OverageLimit),
            Long(AccountField.LowBalanceThreshold),
            (string?)r[(int)AccountField.Unit] ?? "",
            Parent(r[(int)AccountField.ParentId]));
        var balance = new Balance(
            Available: Long(AccountField.Available),
            Leased: Long(AccountField.Leased),
            Consumed: Long(AccountField.Consumed),
            Expired: Long(AccountField.Expired),
            Voided: Long(AccountField.Voided),
            Overage: Long(AccountField.Overage),
            Granted: Long(AccountField.Granted),
            OverageLeased: Long(AccountField.OverageLeased));
        return new AccountView(policy, balance);
    }

    public static LeaseExchangeResult Exchange(string accountId, RedisResult reply)
    {
        var r = Items(reply);
        long Long(ExchangeField f) => (long)r[(int)f];
        if (Long(ExchangeField.Status) == 0)
        {
            return LeaseExchangeResult.UnknownAccount;
        }

        var policy = new AccountPolicy(
            accountId,
            (AccountStatus)(int)Long(ExchangeField.AccountStatus),
            (OverageMode)(int)Long(ExchangeField.OverageMode),
            Long(ExchangeField.OverageLimit),
            Long(ExchangeField.LowBalanceThreshold),
            (string?)r[(int)ExchangeField.Unit] ?? "",
            Parent(r[(int)ExchangeField.ParentId]));
        return new LeaseExchangeResult(
            AccountExists: true,
            Policy: policy,
            Granted: Long(ExchangeField.Granted),
            OverageGranted: Long(ExchangeField.OverageGranted),
            Revoked: Long(ExchangeField.Revoked),
            LeaseLost: Long(ExchangeField.LeaseLost) != 0,
            LeaseCredits: Long(ExchangeField.LeaseCredits),
            LeaseExpiresAt: UnixMilliseconds.ToTime(Long(ExchangeField.LeaseExpiresAt)),
            Available: Long(ExchangeField.Available),
            OverageHeadroom: Long(ExchangeField.OverageHeadroom),
            ReclaimRequested: Long(ExchangeField.ReclaimRequested) != 0)
        {
            InstanceExpired = Long(ExchangeField.InstanceExpired) != 0,
            UsedTotal = Long(ExchangeField.UsedTotal),
            LeaseOverage = Long(ExchangeField.LeaseOverage),
            StoreRolledBack = Long(ExchangeField.StoreRolledBack) != 0,
            UsageRestored = Long(ExchangeField.UsageRestored),
            LabelOverflow = Long(ExchangeField.LabelOverflow),
        };
    }

    public static StoredGrant Grant(string accountId, RedisResult reply)
    {
        var r = Items(reply);
        long Long(GrantField f) => (long)r[(int)f];
        var period = (int)Long(GrantField.Period);
        var grant = new Grant(
            GrantId: (string)r[(int)GrantField.GrantId]!,
            AccountId: accountId,
            Amount: Long(GrantField.Amount),
            Remaining: Long(GrantField.Remaining),
            Priority: (int)Long(GrantField.Priority),
            Category: (GrantCategory)(int)Long(GrantField.Category),
            EffectiveAt: UnixMilliseconds.ToTime(Long(GrantField.EffectiveAt)),
            ExpiresAt: OptionalTime(r[(int)GrantField.ExpiresAt]),
            VoidedAt: OptionalTime(r[(int)GrantField.VoidedAt]),
            Recurrence: period == 0 ? null : new Recurrence((RecurrencePeriod)period, Long(GrantField.RolloverMax)),
            Metadata: GrantMetadata.Decode((string?)r[(int)GrantField.Metadata]),
            CreatedAt: UnixMilliseconds.ToTime(Long(GrantField.CreatedAt)),
            PeriodIndex: Long(GrantField.PeriodIndex));
        return new StoredGrant(grant, Long(GrantField.EffectiveGiven) != 0);
    }

    /// <summary>The grant of a grant or void reply: <c>{ status, REPLY.grant }</c>.</summary>
    public static StoredGrant GrantAfterStatus(string accountId, RedisResult reply) => Grant(accountId, Items(reply)[1]);

    /// <summary>The grants of list_grants, after the status.</summary>
    public static IReadOnlyList<Grant> Grants(string accountId, RedisResult reply)
    {
        var r = Items(reply);
        var grants = new Grant[r.Length - 1];
        for (var i = 1; i < r.Length; i++)
        {
            grants[i - 1] = Grant(accountId, r[i]).Grant;
        }

        return grants;
    }

    /// <summary>The reply of list_entries: status, next cursor, stream rows.</summary>
    public static LedgerPage Entries(RedisResult reply)
    {
        var r = Items(reply);
        var rows = Items(r[2]);
        var entries = new LedgerEntry[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = Items(rows[i]);
            var values = Items(row[1]);
            long kind = 0, amount = 0, at = 0;
            string grant = "", source = "";
            for (var f = 0; f + 1 < values.Length; f += 2)
            {
                switch ((string?)values[f])
                {
                    case "kind": kind = (long)values[f + 1]; break;
                    case "amount": amount = (long)values[f + 1]; break;
                    case "grant": grant = (string?)values[f + 1] ?? ""; break;
                    case "source": source = (string?)values[f + 1] ?? ""; break;
                    case "at": at = (long)values[f + 1]; break;
                }
            }

            entries[i] = new LedgerEntry((string)row[0]!, UnixMilliseconds.ToTime(at), (LedgerEntryKind)kind, amount, grant, source);
        }

        return new LedgerPage(entries, (string?)r[1] ?? "");
    }

    /// <summary>The reply of usage: status, then label set and credits pairs; ordered by label set (ordinal).</summary>
    public static IReadOnlyList<LabelUsage> Usage(RedisResult reply)
    {
        var pairs = Items(Items(reply)[1]);
        var usage = new List<LabelUsage>(pairs.Length / 2);
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            usage.Add(new LabelUsage((string)pairs[i]!, (long)pairs[i + 1]));
        }

        usage.Sort(static (a, b) => string.CompareOrdinal(a.LabelSet, b.LabelSet));
        return usage;
    }

    /// <summary>The figures of an upsert refused with status -3: credits and overage allowance on leases.</summary>
    public static (long Leased, long OverageLeased) LeasedOut(RedisResult reply)
    {
        var r = Items(reply);
        return ((long)r[1], (long)r[2]);
    }

    // '' in a reply (and an absent field in the account hash) is a root.
    private static string? Parent(RedisResult value) => (string?)value is { Length: > 0 } id ? id : null;

    private static DateTimeOffset? OptionalTime(RedisResult value)
    {
        var s = (string?)value;
        return s is null or "-" ? null : UnixMilliseconds.ToTime(long.Parse(s, CultureInfo.InvariantCulture));
    }

    private static RedisResult[] Items(RedisResult reply) =>
        (RedisResult[]?)reply ?? throw new InvalidOperationException("a ledger function returned no array (library and parser disagree)");
}
