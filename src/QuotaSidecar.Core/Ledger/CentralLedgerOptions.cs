namespace QuotaSidecar.Core.Ledger;

/// <summary>Settings every central ledger implementation honours the same way.</summary>
public sealed class CentralLedgerOptions
{
    /// <summary>How long a lease lives without renewal before any script touching the account reclaims it.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long after its expiry a lease is still kept for its holder's late report: usage committed before
    /// the expiry is charged to the lease's own credits (even of a grant that has since expired). Past it, any
    /// script touching the account reclaims the lease.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan ReclaimGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest fraction of central available credits one take may lease (a lease is still at least
    /// the minimum its request needs).</summary>
    /// <value>The default value is 0.10.</value>
    public double MaxLeaseShare { get; set; } = 0.10;

    /// <summary>How long a reclaim request stays visible to holders after a take could not be filled. The sidecar
    /// derives it from the settle interval (eight of them) rather than exposing it as a setting.</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan ReclaimWindow { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Ledger entries kept per account; older ones are trimmed.</summary>
    /// <value>The default value is 10,000.</value>
    public int MaxLedgerEntries { get; set; } = 10_000;

    /// <summary>How long the ledger keeps an instance's exchange record (its last sequence and first answer, so a
    /// retried exchange is applied once) after the instance stopped holding a lease on the account (returned it, or
    /// it was reclaimed). Every sidecar start is a new instance, so without this the records grow with every
    /// restart. Long enough for a restarted sidecar to replay a crashed instance's journal; an exchange composed
    /// longer ago by an instance the ledger no longer knows is refused (<see cref="LeaseExchangeResult.InstanceExpired"/>).</summary>
    /// <value>The default value is 24 hours.</value>
    public TimeSpan InstanceRecordHorizon { get; set; } = DefaultInstanceRecordHorizon;

    /// <summary>The most distinct usage label sets the ledger keeps per account (docs/design.md#usage-labels); usage of
    /// further sets goes to the overflow set (<see cref="Usage.UsageLabels.Overflow"/>), which is not counted.</summary>
    /// <value>The default value is 1,000.</value>
    public int MaxLabelSets { get; set; } = 1_000;

    /// <summary>The default of <see cref="InstanceRecordHorizon"/>: 24 hours.</summary>
    public static readonly TimeSpan DefaultInstanceRecordHorizon = TimeSpan.FromHours(24);

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is out of range.</summary>
    public void Validate()
    {
        if (LeaseTtl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"LeaseTtl must be positive (got {LeaseTtl})");
        }

        if (ReclaimGrace < TimeSpan.Zero)
        {
            throw new ArgumentException($"ReclaimGrace must be >= 0 (got {ReclaimGrace})");
        }

        if (MaxLeaseShare is <= 0 or > 1)
        {
            throw new ArgumentException($"MaxLeaseShare must be in (0, 1] (got {MaxLeaseShare})");
        }

        if (InstanceRecordHorizon <= TimeSpan.Zero)
        {
            throw new ArgumentException($"InstanceRecordHorizon must be positive (got {InstanceRecordHorizon})");
        }

        if (MaxLabelSets is < 1 or > 1_000_000)
        {
            throw new ArgumentException($"MaxLabelSets must be in 1..1000000 (got {MaxLabelSets})");
        }

        if (MaxLedgerEntries < 1)
        {
            throw new ArgumentException($"MaxLedgerEntries must be >= 1 (got {MaxLedgerEntries})");
        }
    }
}
