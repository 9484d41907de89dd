namespace QuotaSidecar.LoadTest.Report;

/// <summary>One slice of a run (see <see cref="RunResult.Slices"/>). <paramref name="ReserveP99Us"/>: the Reserve
/// requests alone (Reserve+Commit runs); <paramref name="HandlerP99Us"/>: the server's handler histogram over the
/// slice; both null when not measured.</summary>
internal sealed record SliceResult(double ThroughputRps, double P50Us, double P99Us, double? ServerCpuUsPerRequest, double? ReserveP99Us = null, double? HandlerP99Us = null);
