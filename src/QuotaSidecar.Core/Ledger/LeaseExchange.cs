using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Ledger;

/// <summary>
/// Everything one sidecar says to the central ledger about one account, applied atomically and at most
/// once per <see cref="Sequence"/>: report usage, return credits, renew the lease, and take more.
/// A retry must resend the identical exchange; a repeated sequence returns the first result unchanged.
/// </summary>
/// <param name="AccountId">The account.</param>
/// <param name="InstanceId">The sidecar process (leases and reports are keyed by it).</param>
/// <param name="Sequence">Increasing per (instance, account), starting at 1.</param>
/// <param name="Used">Usage committed since the last report; attributed to the lease's slices in burn-down
/// order, then to its overage allowance, then to central credits, and the rest recorded as overage debt.</param>
/// <param name="Return">Unused leased credits to give back to their grants.</param>
/// <param name="ReturnOverage">Unused overage allowance to give back.</param>
/// <param name="Want">Credits the sidecar would like to add to its lease (0: none).</param>
/// <param name="MinAcceptable">Fewer than this is useless: take nothing rather than less.</param>
/// <param name="Held">Leased credits the sidecar still holds for open reservations after this report: a void or
/// expiry revokes only the lease's credits beyond these (held credits are used or returned later).</param>
/// <param name="OverageWant">Credits wanted beyond the lease that may come from the overage allowance when credits
/// do not cover them (SOFT accounts only; 0: none). Credits come first: on a SOFT account with OverageWant &gt; 0 a
/// take below MinAcceptable is accepted when that is all the credits left, and the allowance granted is
/// <c>min(OverageWant - Granted, headroom)</c>.</param>
/// <param name="ComposedAt">When the sidecar composed this exchange (kept unchanged when it is resent or replayed);
/// null: not given. An instance the ledger does not know whose exchange was composed at least
/// <see cref="CentralLedgerOptions.InstanceRecordHorizon"/> ago is refused
/// (<see cref="LeaseExchangeResult.InstanceExpired"/>): the ledger may have applied it and forgotten the instance since.
/// Without it such a late exchange is applied as coming from a new instance.</param>
/// <param name="Acknowledged">The sequence of the last exchange of this account the ledger answered as applied for this
/// instance (0: none). The ledger's record for the instance can never be older than this unless the store went back in
/// time (a restart from an AOF missing its last writes, a restore from a backup, a failover to a lagging replica): that
/// is how a rollback is detected (docs/design.md §4, store rollback).</param>
/// <param name="AcknowledgedUsage">The <see cref="LeaseExchangeResult.UsedTotal"/> of that answer: the usage the ledger
/// had recorded from this instance for the account as of <see cref="Acknowledged"/>. After a rollback the difference
/// with what the ledger still has is the usage it lost, and it is charged again, once.</param>
/// <param name="AcknowledgedAt">The <see cref="ComposedAt"/> of that exchange; null: not given. A ledger without a record
/// of the instance tells a rollback from a record forgotten past the instance record horizon by it: a record cannot
/// have been forgotten less than a horizon after this time.</param>
public sealed record LeaseExchange(
    string AccountId,
    string InstanceId,
    long Sequence,
    long Used = 0,
    long Return = 0,
    long ReturnOverage = 0,
    long Want = 0,
    long MinAcceptable = 0,
    long OverageWant = 0,
    long Held = 0,
    DateTimeOffset? ComposedAt = null,
    long Acknowledged = 0,
    long AcknowledgedUsage = 0,
    DateTimeOffset? AcknowledgedAt = null)
{
    /// <summary>The most label sets one exchange may carry (the sidecar folds more into the overflow set first).</summary>
    public const int MaxLabelSets = 100_000;

    /// <summary>The part of <see cref="Used"/> attributed to label sets (docs/design.md#usage-labels), one entry per
    /// distinct canonical set; the rest of <see cref="Used"/> is unlabelled. Null or empty: none. Applied with the
    /// exchange, so exactly once per sequence; kept unchanged when the exchange is resent.</summary>
    public IReadOnlyList<LabelUsage>? LabelUsage { get; init; }

    /// <summary>Throws <see cref="QuotaException"/> (InvalidArgument) when a field is out of range.</summary>
    public void Validate()
    {
        Validation.AccountId(AccountId, "account_id");
        Validation.RequiredId(InstanceId, "instance_id");
        if (Sequence < 1)
        {
            throw QuotaException.Invalid($"sequence must be >= 1 (got {Sequence})");
        }

        Validation.NonNegativeAmount(Used, "used");
        Validation.NonNegativeAmount(Return, "return");
        Validation.NonNegativeAmount(ReturnOverage, "return_overage");
        Validation.NonNegativeAmount(Want, "want");
        Validation.NonNegativeAmount(MinAcceptable, "min_acceptable");
        Validation.NonNegativeAmount(OverageWant, "overage_want");
        Validation.NonNegativeAmount(Held, "held");
        if (MinAcceptable > Want)
        {
            throw QuotaException.Invalid($"min_acceptable ({MinAcceptable}) must not exceed want ({Want})");
        }

        if (Acknowledged < 0 || Acknowledged >= Sequence)
        {
            throw QuotaException.Invalid($"acknowledged must be >= 0 and below sequence {Sequence} (got {Acknowledged})");
        }

        Validation.NonNegativeAmount(AcknowledgedUsage, "acknowledged_usage");
        if (Acknowledged == 0 && (AcknowledgedUsage != 0 || AcknowledgedAt is not null))
        {
            throw QuotaException.Invalid("acknowledged_usage and acknowledged_at need an acknowledged sequence (acknowledged is 0)");
        }

        ValidateLabelUsage();
        if (AcknowledgedAt is { } acknowledgedAt && ComposedAt is { } composedAt && acknowledgedAt > composedAt)
        {
            throw QuotaException.Invalid($"acknowledged_at ({acknowledgedAt:O}) must not be after composed_at ({composedAt:O}): the acknowledged exchange came first");
        }
    }

    private void ValidateLabelUsage()
    {
        if (LabelUsage is not { Count: > 0 } usage)
        {
            return;
        }

        if (usage.Count > MaxLabelSets)
        {
            throw QuotaException.Invalid($"label_usage may have at most {MaxLabelSets} label sets (got {usage.Count})");
        }

        long sum = 0;
        var seen = new HashSet<string>(usage.Count, StringComparer.Ordinal);
        foreach (var (labelSet, amount) in usage)
        {
            UsageLabels.Parse(labelSet, "label_usage label set");
            Validation.PositiveAmount(amount, "label_usage amount");
            if (!seen.Add(labelSet))
            {
                throw QuotaException.Invalid($"label_usage has the label set '{labelSet}' twice");
            }

            sum += amount;
            if (sum > Used)
            {
                throw QuotaException.Invalid($"label_usage must not add up to more than used ({Used})");
            }
        }
    }
}
