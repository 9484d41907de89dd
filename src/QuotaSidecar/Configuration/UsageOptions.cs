using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Configuration;

/// <summary>Usage labels and their export (<c>Quota:Usage</c>, docs/design.md#usage-labels). The cap is read and
/// written in the layers' own options: the engine's bound per exchange and the ledger's cap per account are one
/// setting.</summary>
public sealed class UsageOptions
{
    private readonly EngineOptions _engine;
    private readonly CentralLedgerOptions _ledger;

    internal UsageOptions(EngineOptions engine, CentralLedgerOptions ledger)
    {
        _engine = engine;
        _ledger = ledger;
    }

    /// <summary>The most distinct label sets kept per account (<see cref="CentralLedgerOptions.MaxLabelSets"/>) and
    /// aggregated per account between two exchanges (<see cref="EngineOptions.MaxLabelSets"/>); usage of further sets
    /// goes to the overflow set <c>_overflow=true</c>, counted in <c>quota_usage_label_overflow_total</c>.</summary>
    /// <value>The default value is 1,000.</value>
    public int MaxLabelSets
    {
        get => _ledger.MaxLabelSets;
        set
        {
            _ledger.MaxLabelSets = value;
            _engine.MaxLabelSets = value;
        }
    }

    /// <summary>The CloudEvents export of applied usage (off unless <see cref="UsageExportOptions.Endpoint"/> is set).</summary>
    public UsageExportOptions Export { get; set; } = new();

    /// <summary>Adds a message per invalid setting to <paramref name="errors"/>.</summary>
    internal void Validate(List<string> errors)
    {
        if (MaxLabelSets is < 1 or > 1_000_000)
        {
            errors.Add($"Quota:Usage:MaxLabelSets must be between 1 and 1000000 (got {MaxLabelSets}); it bounds each account's label sets in the store");
        }

        Export.Validate(errors);
    }
}
