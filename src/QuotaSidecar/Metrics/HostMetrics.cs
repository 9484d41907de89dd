using System.Diagnostics;
using System.Diagnostics.Metrics;
using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Metrics;

/// <summary>The host's own instruments: server-side hot-path handler latency in microseconds, shed requests, shadow denials.</summary>
internal sealed class HostMetrics
{
    public static readonly KeyValuePair<string, object?> Reserve = new("method", "Reserve");
    public static readonly KeyValuePair<string, object?> Commit = new("method", "Commit");
    public static readonly KeyValuePair<string, object?> Release = new("method", "Release");
    public static readonly KeyValuePair<string, object?> Consume = new("method", "Consume");

    private readonly Histogram<double> _hotPath;
    private readonly Counter<long> _shed;
    private readonly Counter<long> _shadowDenials;
    private readonly Counter<long> _shedUndrained;

    public HostMetrics(EngineMetrics engineMetrics)
    {
        _hotPath = engineMetrics.Meter.CreateHistogram<double>(
            "quota.hot_path.duration",
            "us",
            "Server-side handler time of Reserve, Commit, Release and Consume, in microseconds.",
            // Microseconds for the hot path; the bounds past 100 ms say how long an answer that waited on the store
            // took (the wait budget Quota:Store:MaxWait is 100 ms by default; 150 ms is that budget + 50 ms of
            // scheduling), up to seconds for one that hung.
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 15, 20, 30, 50, 100, 250, 500, 1_000, 5_000, 25_000, 50_000, 100_000, 125_000, 150_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000] });
        _shed = engineMetrics.Meter.CreateCounter<long>(
            "quota.requests.shed", "{request}", "gRPC calls rejected with RESOURCE_EXHAUSTED by the in-flight cap or the per-connection rate limit.");
        _shedUndrained = engineMetrics.Meter.CreateCounter<long>(
            "quota.requests.shed.undrained", "{request}", "Shed calls answered before their request ended, by the bound that stopped the reading (timeout: Quota:Limits:ShedDrainTimeout; too_large: more than one message of Quota:Grpc:MaxReceiveMessageSize).");
        _shadowDenials = engineMetrics.Meter.CreateCounter<long>(
            "quota.shadow.denials", "{decision}", "Denials answered GRANTED in shadow mode (Quota:Shadow, Quota:ShadowAccounts), by the reason they would have had; nothing was charged.");
    }

    public void Shed() => _shed.Add(1);

    /// <summary>A shed call answered before its request ended; <paramref name="reason"/> is timeout or too_large.</summary>
    public void ShedUndrained(string reason) => _shedUndrained.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A denial answered GRANTED in shadow mode.</summary>
    public void ShadowDenied(DenyReason reason) =>
        _shadowDenials.Add(1, new KeyValuePair<string, object?>("reason", Envoy.DenialReasons.Of(reason)));

    public void HotPath(KeyValuePair<string, object?> method, long startedTimestamp) =>
        _hotPath.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalMicroseconds, method);
}
