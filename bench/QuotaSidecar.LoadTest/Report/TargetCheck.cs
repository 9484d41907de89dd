namespace QuotaSidecar.LoadTest.Report;

/// <summary>One docs/design.md §6 target: what was measured and whether it was met (null: not measured in this run).</summary>
internal sealed record TargetCheck(string Target, string Measured, bool? Met);
