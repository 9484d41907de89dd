namespace QuotaSidecar.Core.Ledger;

/// <summary>One line of an account's ledger.</summary>
/// <param name="EntryId">Opaque, increasing within an account; used as the paging cursor.</param>
/// <param name="Source">The sidecar instance that reported it (CONSUMED and OVERAGE), else empty.</param>
public sealed record LedgerEntry(
    string EntryId,
    DateTimeOffset At,
    LedgerEntryKind Kind,
    long Amount,
    string GrantId,
    string Source);
