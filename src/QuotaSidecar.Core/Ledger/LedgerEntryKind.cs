namespace QuotaSidecar.Core.Ledger;

/// <summary>What a ledger entry records. Values match <c>quota.v1.LedgerEntryKind</c>.</summary>
public enum LedgerEntryKind
{
    /// <summary>A grant took effect.</summary>
    Granted = 1,

    /// <summary>Reported usage covered by credits.</summary>
    Consumed = 2,

    /// <summary>Credits reached expiry unused.</summary>
    Expired = 3,

    /// <summary>Unused credits withdrawn by a void.</summary>
    Voided = 4,

    /// <summary>Reported usage no credits covered (debt).</summary>
    Overage = 5,

    /// <summary>A recurring allowance started a new period.</summary>
    Renewed = 6,

    /// <summary>A new grant paid off debt.</summary>
    OveragePaid = 7,
}
