using System.Globalization;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Redis.Tests;

/// <summary>
/// Text forms of ledger answers for comparing two ledgers: every field, times to the millisecond (records' own
/// ToString shows seconds only), metadata by content, ledger entries without their (implementation-specific) ids.
/// </summary>
internal static class LedgerFingerprint
{
    public static string Of(object? value) => value switch
    {
        null => "null",
        LeaseExchangeResult r => Of(r),
        AccountView v => $"{Of(v.Policy)} {v.Balance}",
        Grant g => Of(g),
        IReadOnlyList<Grant> list => string.Join("\n", list.Select(Of)),
        IReadOnlyList<LabelUsage> usage => string.Join(", ", usage.Select(u => $"{u.LabelSet}:{u.Amount}")),
        LedgerEntry e => Of(e),
        QuotaException e => $"QuotaException {e.Error}: {e.Message}",
        _ => value.ToString() ?? "",
    };

    public static string Of(LedgerEntry e) =>
        $"{e.Kind} {e.Amount} grant={e.GrantId} source={e.Source} at={Time(e.At)}";

    private static string Of(LeaseExchangeResult r) =>
        $"exists={r.AccountExists} policy={Of(r.Policy)} granted={r.Granted} overage_granted={r.OverageGranted} "
        + $"revoked={r.Revoked} lost={r.LeaseLost} credits={r.LeaseCredits} expires={Time(r.LeaseExpiresAt)} "
        + $"available={r.Available} headroom={r.OverageHeadroom} reclaim={r.ReclaimRequested} label_overflow={r.LabelOverflow}";

    private static string Of(AccountPolicy? p) =>
        p is null ? "null" : $"[{p.AccountId} {p.Status} {p.OverageMode} limit={p.OverageLimit} low={p.LowBalanceThreshold} unit='{p.Unit}']";

    private static string Of(Grant g) =>
        $"{g.GrantId} account={g.AccountId} amount={g.Amount} remaining={g.Remaining} priority={g.Priority} {g.Category} "
        + $"effective={Time(g.EffectiveAt)} expires={Time(g.ExpiresAt)} voided={Time(g.VoidedAt)} "
        + $"recurrence={g.Recurrence} period={g.PeriodIndex} created={Time(g.CreatedAt)} "
        + $"metadata={{{string.Join(", ", g.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))}}}";

    private static string Time(DateTimeOffset? t) =>
        t is { } v ? v.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture) : "-";
}
