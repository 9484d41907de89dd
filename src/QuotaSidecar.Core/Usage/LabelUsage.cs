namespace QuotaSidecar.Core.Usage;

/// <summary>Usage attributed to one label set: in an exchange, what it adds; in the ledger, the running total.</summary>
/// <param name="LabelSet">The set in canonical form (<see cref="UsageLabels"/>).</param>
/// <param name="Amount">Credits, 1..2^53.</param>
public readonly record struct LabelUsage(string LabelSet, long Amount);
