namespace QuotaSidecar.Core.Ledger;

/// <summary>A page of an account's children (docs/design.md#account-tree), ordered by id (ordinal); <see cref="Next"/> is
/// the cursor for the following page, empty at the end.</summary>
public sealed record ChildPage(IReadOnlyList<string> ChildIds, string Next);
