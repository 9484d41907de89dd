namespace QuotaSidecar.LoadTest.Report;

/// <summary>
/// Reserve+Commit on the leaf of a depth-3 account path (<see cref="Subject"/> "depth3"), or on a second flat
/// account (the A/A control, "twin"), against a flat account of the same sidecar, under the same conditions,
/// measured in alternating rounds (issue 17: "end-to-end p99 of a depth-3 Reserve within 10% of a flat one"). The ratios are of the medians over the rounds; <see cref="PairedP99"/> is the median of the round-by-round
/// ratios. Latencies are client-side per request (a Reserve and its Commit), Reserve-only, and the sidecar's handler
/// histogram, in microseconds; the sidecar's CPU per request (µs, per round) and its Redis calls per 1,000 requests
/// (over the run; a depth-3 path settles three accounts).
/// </summary>
internal sealed record TreeComparison(
    string Server,
    string Subject,
    string Conditions,
    RoundSeries FlatP50,
    RoundSeries SubjectP50,
    RoundSeries FlatP99,
    RoundSeries SubjectP99,
    RoundSeries? FlatReserveP99,
    RoundSeries? SubjectReserveP99,
    RoundSeries? FlatHandlerP99,
    RoundSeries? SubjectHandlerP99,
    RoundSeries? FlatCpuPerRequest,
    RoundSeries? SubjectCpuPerRequest,
    double? FlatRedisCallsPer1000,
    double? SubjectRedisCallsPer1000,
    double PairedP99,
    string PairedP99Text)
{
    /// <summary>What issue 17 allows: depth 3 at most 10% slower at p99.</summary>
    public const double Allowed = 1.10;

    public double P50Ratio => SubjectP50.Median / FlatP50.Median;

    public double P99Ratio => SubjectP99.Median / FlatP99.Median;

    public double? ReserveP99Ratio => FlatReserveP99 is { } f && SubjectReserveP99 is { } d ? d.Median / f.Median : null;

    public double? CpuRatio => FlatCpuPerRequest is { } f && SubjectCpuPerRequest is { } d && f.Median > 0 ? d.Median / f.Median : null;

    public double? HandlerP99Ratio => FlatHandlerP99 is { } f && SubjectHandlerP99 is { } d && f.Median > 0 ? d.Median / f.Median : null;
}
