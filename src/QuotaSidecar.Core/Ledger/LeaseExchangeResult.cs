using QuotaSidecar.Core.Accounts;

namespace QuotaSidecar.Core.Ledger;

/// <summary>The central ledger's answer to a <see cref="LeaseExchange"/>.</summary>
/// <param name="AccountExists">False: no such account; nothing else is meaningful.</param>
/// <param name="Policy">The account's current settings (how policy changes reach every sidecar).</param>
/// <param name="Granted">Credits added to the lease by this exchange.</param>
/// <param name="OverageGranted">Overage allowance added to the lease.</param>
/// <param name="Revoked">Leased credits withdrawn because their grant was voided or expired; the sidecar must
/// stop spending that many.</param>
/// <param name="LeaseLost">The lease had expired and was reclaimed before this exchange: every credit the
/// sidecar thought it had is gone (open holds may still commit; their usage is charged centrally).</param>
/// <param name="LeaseCredits">Credits on the lease after the exchange (all slices).</param>
/// <param name="LeaseExpiresAt">When the lease lapses unless renewed; capped at the earliest grant expiry it carries.</param>
/// <param name="Available">Central available credits after the exchange.</param>
/// <param name="OverageHeadroom">SOFT: overage still allowed centrally (limit - debt - overage out on leases); HARD: 0.</param>
/// <param name="ReclaimRequested">Another sidecar could not get credits: return unused credits now.</param>
public sealed record LeaseExchangeResult(
    bool AccountExists,
    AccountPolicy? Policy,
    long Granted,
    long OverageGranted,
    long Revoked,
    bool LeaseLost,
    long LeaseCredits,
    DateTimeOffset LeaseExpiresAt,
    long Available,
    long OverageHeadroom,
    bool ReclaimRequested)
{
    /// <summary>
    /// The exchange was refused, nothing of it applied: the ledger does not know the instance and the exchange was
    /// composed at least <see cref="CentralLedgerOptions.InstanceRecordHorizon"/> ago, so it may have been applied
    /// before the instance's record was forgotten. <see cref="LeaseLost"/> is set too: whatever lease the sidecar
    /// thought it had is gone. Only an exchange with <see cref="LeaseExchange.ComposedAt"/> can get this answer.
    /// </summary>
    public bool InstanceExpired { get; init; }

    /// <summary>Usage the ledger has recorded from this instance for the account, after this exchange: the sum of every
    /// <see cref="LeaseExchange.Used"/> it applied (and of <see cref="UsageRestored"/>) since its record of the instance
    /// began. The sidecar sends it back as <see cref="LeaseExchange.AcknowledgedUsage"/>. Restarts at the exchange's own
    /// usage when it would pass 2^53.</summary>
    public long UsedTotal { get; init; }

    /// <summary>Overage allowance on the lease after the exchange.</summary>
    public long LeaseOverage { get; init; }

    /// <summary>
    /// The ledger had gone back in time: its record of this instance was older than <see cref="LeaseExchange.Acknowledged"/>
    /// (or absent less than a horizon after <see cref="LeaseExchange.AcknowledgedAt"/>). The usage it lost was charged again
    /// (<see cref="UsageRestored"/>); the lease it remembers (<see cref="LeaseCredits"/>, <see cref="LeaseOverage"/>) is the
    /// lease: the sidecar adopts it instead of adding <see cref="Granted"/> to what it thought it had.
    /// </summary>
    public bool StoreRolledBack { get; init; }

    /// <summary>On a rollback: the usage the ledger had acknowledged and lost, charged again by this exchange before its own
    /// <see cref="LeaseExchange.Used"/> (a usage report of its own in the ledger entries); 0 otherwise.</summary>
    public long UsageRestored { get; init; }

    /// <summary>Credits of this exchange's <see cref="LeaseExchange.LabelUsage"/> the ledger put in the overflow set
    /// (<see cref="Usage.UsageLabels.Overflow"/>) because the account had <see cref="CentralLedgerOptions.MaxLabelSets"/>
    /// sets already; 0 in a repeated answer (it is told once).</summary>
    public long LabelOverflow { get; init; }

    /// <summary>The answer for an account that does not exist.</summary>
    public static LeaseExchangeResult UnknownAccount { get; } =
        new(false, null, 0, 0, 0, false, 0, DateTimeOffset.MinValue, 0, 0, false);
}
