using System.Diagnostics.Metrics;

namespace QuotaSidecar.Core.Engine;

/// <summary>
/// The engine's instruments on the <c>QuotaSidecar</c> meter. No per-account tags: cardinality stays bounded
/// whatever the number of accounts. The exported names predate the one-name rule for exchanges and are kept as a
/// contract with dashboards and alerts: <c>quota.settle.failures</c> counts every failed exchange, and
/// <c>quota.lease.refills</c> the exchanges that asked for credits (refills).
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    /// <summary>The meter every QuotaSidecar instrument lives on.</summary>
    public const string MeterName = "QuotaSidecar";

    private readonly Meter _meter;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _refills;
    private readonly Histogram<double> _refillDuration;
    private readonly Counter<long> _settleBatches;
    private readonly Counter<long> _settleFailures;
    private readonly Counter<long> _settleExchanges;
    private readonly Histogram<double> _settleDuration;
    private readonly Counter<long> _leasesLost;
    private readonly Counter<long> _idempotencyDropped;
    private readonly Counter<long> _answers;
    private readonly Histogram<double> _exchangeDuration;
    private readonly Histogram<double> _storeWait;
    private readonly Counter<long> _storeRollbacks;
    private readonly Counter<long> _rollbackRestored;
    private readonly Counter<long> _shardsOverflow;

    public EngineMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _decisions = _meter.CreateCounter<long>("quota.decisions", "{decision}", "Reserve and Consume decisions by result and reason.");
        _refills = _meter.CreateCounter<long>("quota.lease.refills", "{refill}", "Lease takes from the central store (background and on demand).");
        _refillDuration = _meter.CreateHistogram<double>(
            "quota.lease.refill.duration", "ms", "Time to take credits from the central store.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000] });
        _settleBatches = _meter.CreateCounter<long>("quota.settle.batches", "{batch}", "Settle passes that reported to the store.");
        _settleExchanges = _meter.CreateCounter<long>("quota.settle.exchanges", "{exchange}", "Accounts exchanged with the store by settle passes.");
        _settleDuration = _meter.CreateHistogram<double>(
            "quota.settle.duration", "ms", "Time of a settle pass that reported to the store: the scan of local accounts plus its store exchanges.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] });
        _settleFailures = _meter.CreateCounter<long>("quota.settle.failures", "{failure}", "Exchanges with the store that failed (retried later).");
        _idempotencyDropped = _meter.CreateCounter<long>(
            "quota.idempotency.dropped", "{record}", "Idempotency records dropped before their retry window passed, because Quota:Idempotency:MaxRecords was reached.");
        _answers = _meter.CreateCounter<long>(
            "quota.answers", "{answer}",
            "Reserve and Consume answers by source: lease (granted from the local lease), fail_open (granted beyond it while the store is down), store_unavailable (denied for want of the store), denied (any other denial).");
        _exchangeDuration = _meter.CreateHistogram<double>(
            "quota.exchange.duration", "ms", "Time of each exchange with the store (report, renew, take), by outcome (ok, failed: error or Quota:Store:ExchangeTimeout).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] });
        _storeWait = _meter.CreateHistogram<double>(
            "quota.store.wait", "ms", "Time a Reserve or Consume waited for the store's answers (only requests the lease could not cover); at most Quota:Store:MaxWait.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 75, 100, 150, 250, 500, 1000] });
        _leasesLost = _meter.CreateCounter<long>("quota.lease.lost", "{lease}", "Leases the store reclaimed while this sidecar still held them.");
        _storeRollbacks = _meter.CreateCounter<long>(
            "quota.store.rollbacks", "{account}", "Accounts on which the central store was found to have gone back in time (lost writes it had acknowledged to this sidecar), and resynchronised.");
        _rollbackRestored = _meter.CreateCounter<long>(
            "quota.store.rollback.restored", "{credit}", "Usage the central store had acknowledged and lost in a rollback, charged again (once).");
        _shardsOverflow = _meter.CreateCounter<long>(
            "quota.store.shards.overflow", "{lookup}", "Breaker lookups for a store shard beyond the cap of 64 shard breakers (such shards share the whole-store breaker).");
    }

    /// <summary>The meter, for gauges observed from engine state.</summary>
    public Meter Meter => _meter;

    /// <summary>Counts a decision; <paramref name="failOpen"/>: granted from the fail-open allowance, not the lease.</summary>
    internal void Decision(Decision decision, DenyReason reason, bool failOpen = false)
    {
        var granted = decision == Engine.Decision.Granted;
        _decisions.Add(
            1,
            new KeyValuePair<string, object?>("result", granted ? "granted" : "denied"),
            new KeyValuePair<string, object?>("reason", ReasonTag(reason)));
        _answers.Add(1, new KeyValuePair<string, object?>(
            "source",
            granted ? (failOpen ? "fail_open" : "lease") : reason == DenyReason.StoreUnavailable ? "store_unavailable" : "denied"));
    }

    /// <summary>An exchange the store answered; <paramref name="refill"/>: it asked for credits.</summary>
    internal void Exchanged(double milliseconds, bool refill)
    {
        _exchangeDuration.Record(milliseconds, new KeyValuePair<string, object?>("outcome", "ok"));
        if (refill)
        {
            _refills.Add(1);
            _refillDuration.Record(milliseconds);
        }
    }

    internal void StoreWaited(double milliseconds) => _storeWait.Record(milliseconds);

    internal void SettleBatch(int exchanges, double milliseconds)
    {
        _settleBatches.Add(1);
        _settleExchanges.Add(exchanges);
        _settleDuration.Record(milliseconds);
    }

    internal void ExchangeFailed(double milliseconds)
    {
        _settleFailures.Add(1);
        _exchangeDuration.Record(milliseconds, new KeyValuePair<string, object?>("outcome", "failed"));
    }

    internal void LeaseLost() => _leasesLost.Add(1);

    internal void IdempotencyRecordDropped() => _idempotencyDropped.Add(1);

    internal void StoreRolledBack(long restored)
    {
        _storeRollbacks.Add(1);
        _rollbackRestored.Add(restored);
    }

    internal void StoreShardsOverflowed() => _shardsOverflow.Add(1);

    public void Dispose() => _meter.Dispose();

    private static string ReasonTag(DenyReason reason) => DenyReasonTokens.Of(reason) ?? "other";
}
