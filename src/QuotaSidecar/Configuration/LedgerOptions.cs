using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Configuration;

/// <summary>The central ledger, whichever the store (<c>Quota:Ledger</c>); read and written in
/// <see cref="CentralLedgerOptions"/>, which the embedded and the Redis ledger share.</summary>
public sealed class LedgerOptions
{
    private readonly CentralLedgerOptions _ledger;

    internal LedgerOptions(CentralLedgerOptions ledger) => _ledger = ledger;

    /// <summary>Ledger entries kept per account, older ones trimmed (<see cref="CentralLedgerOptions.MaxLedgerEntries"/>).
    /// Also settable as <c>Quota:Redis:MaxLedgerEntries</c>, its old name; this key wins when both are set.</summary>
    /// <value>The central ledger's default: 10,000.</value>
    public int MaxEntries
    {
        get => _ledger.MaxLedgerEntries;
        set
        {
            _ledger.MaxLedgerEntries = value;
            MaxEntriesSet = true;
        }
    }

    /// <summary>How long the ledger keeps an instance's exchange record after its lease is returned or reclaimed
    /// (<see cref="CentralLedgerOptions.InstanceRecordHorizon"/>).</summary>
    /// <value>The central ledger's default: 24 h.</value>
    public TimeSpan InstanceRecordHorizon
    {
        get => _ledger.InstanceRecordHorizon;
        set => _ledger.InstanceRecordHorizon = value;
    }

    /// <summary><see cref="MaxEntries"/> was configured under its own key, so the old name does not override it.</summary>
    internal bool MaxEntriesSet { get; private set; }

    /// <summary>Applies <c>Quota:Redis:MaxLedgerEntries</c>, the old name of <see cref="MaxEntries"/>, unless the new
    /// key is set too (whichever the binder reads first).</summary>
    internal void SetFromOldName(int value)
    {
        if (!MaxEntriesSet)
        {
            _ledger.MaxLedgerEntries = value;
        }
    }
}
