namespace QuotaSidecar.LoadTest.Report;

/// <summary>One slice of a run (see <see cref="RunResult.Slices"/>).</summary>
internal sealed record SliceResult(double ThroughputRps, double P50Us, double P99Us, double? ServerCpuUsPerRequest);
