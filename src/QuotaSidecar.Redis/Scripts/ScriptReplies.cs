using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Scripts;

/// <summary>Reads the scripts' replies: flat arrays of integers and strings, in the order the scripts document.</summary>
internal static class ScriptReplies
{
    /// <summary>The first element of every reply: 0 = unknown account, -1 = unknown grant, 1 = done, 2 = grant exists.</summary>
    public static long Status(RedisResult reply) => (long)Items(reply)[0];

    /// <summary><c>account_reply()</c> in lib.lua.</summary>
    public static AccountView AccountView(string accountId, RedisResult reply)
    {
        var r = Items(reply);
        var policy = Policy(accountId, r, 1);
        var balance = new Balance(
            Available: (long)r[6],
            Leased: (long)r[7],
            Consumed: (long)r[8],
            Expired: (long)r[9],
            Voided: (long)r[10],
            Overage: (long)r[11],
            Granted: (long)r[12],
            OverageLeased: (long)r[13]);
        return new AccountView(policy, balance);
    }

    /// <summary>The reply of exchange.lua.</summary>
    public static LeaseExchangeResult Exchange(string accountId, RedisResult reply)
    {
        var r = Items(reply);
        if ((long)r[0] == 0)
        {
            return LeaseExchangeResult.UnknownAccount;
        }

        return new LeaseExchangeResult(
            AccountExists: true,
            Policy: Policy(accountId, r, 10),
            Granted: (long)r[1],
            OverageGranted: (long)r[2],
            Revoked: (long)r[3],
            LeaseLost: (long)r[4] != 0,
            LeaseCredits: (long)r[5],
            LeaseExpiresAt: UnixMilliseconds.ToTime((long)r[6]),
            Available: (long)r[7],
            OverageHeadroom: (long)r[8],
            ReclaimRequested: (long)r[9] != 0);
    }

    /// <summary><c>grant_reply()</c> in lib.lua.</summary>
    public static StoredGrant Grant(string accountId, RedisResult reply)
    {
        var r = Items(reply);
        var period = (int)(long)r[9];
        var grant = new Grant(
            GrantId: (string)r[0]!,
            AccountId: accountId,
            Amount: (long)r[1],
            Remaining: (long)r[2],
            Priority: (int)(long)r[3],
            Category: (GrantCategory)(int)(long)r[4],
            EffectiveAt: UnixMilliseconds.ToTime((long)r[5]),
            ExpiresAt: OptionalTime(r[7]),
            VoidedAt: OptionalTime(r[8]),
            Recurrence: period == 0 ? null : new Recurrence((RecurrencePeriod)period, (long)r[10]),
            Metadata: GrantMetadata.Decode((string?)r[13]),
            CreatedAt: UnixMilliseconds.ToTime((long)r[11]),
            PeriodIndex: (long)r[12]);
        return new StoredGrant(grant, (long)r[6] != 0);
    }

    /// <summary>The grants of list_grants.lua, after the status.</summary>
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

    /// <summary>The reply of list_entries.lua: status, next cursor, stream rows.</summary>
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

    private static AccountPolicy Policy(string accountId, RedisResult[] r, int at) => new(
        accountId,
        (AccountStatus)(int)(long)r[at],
        (OverageMode)(int)(long)r[at + 1],
        (long)r[at + 2],
        (long)r[at + 3],
        (string?)r[at + 4] ?? "");

    private static DateTimeOffset? OptionalTime(RedisResult value)
    {
        var s = (string?)value;
        return s is null or "-" ? null : UnixMilliseconds.ToTime(long.Parse(s, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static RedisResult[] Items(RedisResult reply) =>
        (RedisResult[]?)reply ?? throw new InvalidOperationException("a ledger script returned no array (script and parser disagree)");
}
