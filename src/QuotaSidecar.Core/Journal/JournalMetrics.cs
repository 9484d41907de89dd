using System.Diagnostics.Metrics;

namespace QuotaSidecar.Core.Journal;

/// <summary>The usage journal's instruments, on the engine's meter (<c>QuotaSidecar</c>). No per-account tags.</summary>
public sealed class JournalMetrics
{
    private readonly Counter<long> _failures;
    private readonly Counter<long> _replayedUsage;
    private readonly Counter<long> _replayedRecords;
    private readonly Counter<long> _replayedExchanges;
    private readonly Counter<long> _lost;
    private readonly Counter<long> _corrupt;
    private readonly Counter<long> _torn;
    private readonly Histogram<double> _flushDuration;

    public JournalMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        Meter = meter;
        _failures = meter.CreateCounter<long>("quota.journal.failures", "{failure}", "Times the usage journal was turned off (reason: full = Quota:Journal:MaxBytes reached, io = the volume failed).");
        _replayedUsage = meter.CreateCounter<long>("quota.journal.replayed.usage", "{credit}", "Credits of usage an earlier instance left unacknowledged, reported to the store at start from its journal.");
        _replayedRecords = meter.CreateCounter<long>("quota.journal.replayed.records", "{record}", "Journal records of earlier instances read at start.");
        _replayedExchanges = meter.CreateCounter<long>("quota.journal.replayed.exchanges", "{exchange}", "Exchanges sent at start for earlier instances (resent unacknowledged ones and reports of unreported usage).");
        _lost = meter.CreateCounter<long>("quota.journal.lost", "{credit}", "Credits of journaled usage that could not be billed (composed longer ago than the store's instance horizon, account gone, or a corrupt journal).");
        _corrupt = meter.CreateCounter<long>("quota.journal.corrupt", "{segment}", "Journal segments found corrupt or unreadable at start and moved aside.");
        _torn = meter.CreateCounter<long>("quota.journal.torn", "{record}", "Torn last records (a crash mid-write) dropped at start.");
        _flushDuration = meter.CreateHistogram<double>(
            "quota.journal.flush.duration", "ms", "Time of one msync of the journal (Quota:Journal:Fsync interval or always).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250] });
    }

    internal Meter Meter { get; }

    internal void Failed(string reason) => _failures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void Flushed(double milliseconds) => _flushDuration.Record(milliseconds);

    internal void Replayed(ReplayReport report)
    {
        _replayedRecords.Add(report.Records);
        _replayedExchanges.Add(report.Exchanges);
        _replayedUsage.Add(report.ResentCredits + report.ReplayedCredits);
        _lost.Add(report.LostCredits);
    }

    internal void Corrupt() => _corrupt.Add(1);

    internal void Torn() => _torn.Add(1);
}
