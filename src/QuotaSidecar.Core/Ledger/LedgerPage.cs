namespace QuotaSidecar.Core.Ledger;

/// <summary>A page of ledger entries; <see cref="Next"/> is the cursor for the following page, empty at the end.</summary>
public sealed record LedgerPage(IReadOnlyList<LedgerEntry> Entries, string Next);
