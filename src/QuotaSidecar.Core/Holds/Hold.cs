using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Leases;

namespace QuotaSidecar.Core.Holds;

/// <summary>
/// A reservation: credits taken from an account's local lease until Commit, Release or expiry. Mutable fields are
/// guarded by the account's lock. Open holds of an account form an intrusive list (no allocation to track them).
/// The same record, already committed, remembers a Consume's answer for its request id.
/// </summary>
internal sealed class Hold(string id, LocalAccount account, long requested, long ttlTicks, long createdTicks, long ringNumber = 0)
{
    public string Id { get; } = id;

    public LocalAccount Account { get; } = account;

    /// <summary>What the Reserve asked for (the idempotency fingerprint with <see cref="TtlTicks"/>).</summary>
    public long Requested { get; } = requested;

    public long TtlTicks { get; } = ttlTicks;

    public long CreatedTicks { get; } = createdTicks;

    public long ExpiresTicks => CreatedTicks + TtlTicks;

    /// <summary>The n of a sidecar-made id (its place in the <see cref="HoldRing"/>); 0 for a client-chosen id.</summary>
    public long RingNumber { get; } = ringNumber;

    public bool IsSidecarMade => RingNumber != 0;

    public HoldState State { get; set; }

    /// <summary>Held credits that came from the lease.</summary>
    public long Credits { get; set; }

    /// <summary>Held credits that came from the overage allowance.</summary>
    public long OverageCredits { get; set; }

    /// <summary>Held amount with nothing behind it (granted fail-open while the store was down).</summary>
    public long Unbacked { get; set; }

    public DenyReason DenyReason { get; set; }

    /// <summary>The Reserve's answer, replayed to retries.</summary>
    public long BalanceHint { get; set; }

    /// <summary>The Commit's or Release's answer, replayed to retries.</summary>
    public long FinalBalanceHint { get; set; }

    public bool LowBalance { get; set; }

    public long Committed { get; set; }

    public long Released { get; set; }

    public long Overage { get; set; }

    /// <summary>On a path hold (docs/design.md#path-holds): the same hold on the next account up the path (the
    /// parent's part), or null at the top. Fixed when the hold opens: the hold finishes on the path it opened on.</summary>
    public Hold? Up { get; set; }

    /// <summary>This is an ancestor's part of a path hold: the request's own hold (at the bottom) is the one the
    /// idempotency records know.</summary>
    public bool IsAncestorPart { get; init; }

    /// <summary>A denial record: the account of the path that refused.</summary>
    public string? DeniedAccountId { get; init; }

    public Hold? Previous { get; set; }

    public Hold? Next { get; set; }

    public long Total => Credits + OverageCredits + Unbacked;

    /// <summary>The remembered answer of a denied Reserve with a client-chosen id (a retry gets it again).</summary>
    public static Hold DenialRecord(string reservationId, LocalAccount account, long amount, long ttlTicks, long nowTicks, DenyReason reason, LocalAccount deniedBy) =>
        new(reservationId, account, amount, ttlTicks, nowTicks)
        {
            State = HoldState.Denied,
            DenyReason = reason,
            BalanceHint = deniedBy.BalanceHint,
            LowBalance = deniedBy.IsLowBalance,
            DeniedAccountId = deniedBy.Id,
        };
}
