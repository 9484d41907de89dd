using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Journal;

/// <summary>
/// Replays the journals earlier instances left in the directory (docs/design.md#journal-replay): per instance and
/// account, the last exchange composed but not acknowledged is resent unchanged in sequence, usage and
/// <c>ComposedAt</c> (the store answers a repeat with its first answer and applies a sequence at most once, so a
/// crash after the store applied it but before the acknowledgement was written bills nothing twice); then the usage
/// no exchange carried is reported as the next sequence under the old instance id, returning the old lease. Both
/// ledgers behave the same (the same exchange rules); a store error stops the replay, and running it again is safe.
/// </summary>
public sealed class JournalReplayer(ICentralLedger ledger, TimeProvider? time = null, JournalMetrics? metrics = null, ILogger? logger = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Replays <see cref="UsageJournal.EarlierSegments"/> and deletes each instance's files once done.
    /// Throws what the store throws (the caller retries: nothing is applied twice).</summary>
    public async Task<ReplayReport> ReplayAsync(UsageJournal journal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journal);
        return await ReplayAsync(journal.EarlierSegments, cancellationToken);
    }

    /// <summary>Replays the given segment files (of instances other than the running one).</summary>
    internal async Task<ReplayReport> ReplayAsync(IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, SegmentHeader>(StringComparer.Ordinal);
        var lastOf = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var path in files)
        {
            if (File.Exists(path) && ReadHeaderOnly(path) is { } header)
            {
                headers[path] = header;
                lastOf[header.InstanceId] = Math.Max(lastOf.GetValueOrDefault(header.InstanceId), header.Number);
            }
        }

        var report = ReplayReport.Empty;
        var byInstance = new SortedDictionary<string, List<SegmentScan>>(StringComparer.Ordinal);
        foreach (var path in files)
        {
            if (!File.Exists(path))
            {
                continue;
            }

            var scan = SegmentScan.Read(path, h => lastOf.GetValueOrDefault(h.InstanceId) == h.Number);
            report = report.Add(Examine(scan));
            if (scan.Header is { } header)
            {
                if (!byInstance.TryGetValue(header.InstanceId, out var list))
                {
                    byInstance[header.InstanceId] = list = [];
                }

                list.Add(scan);
            }
        }

        foreach (var (instance, scans) in byInstance)
        {
            scans.Sort((a, b) => a.Header!.Number.CompareTo(b.Header!.Number));
            var one = await ReplayInstanceAsync(instance, scans, cancellationToken);
            metrics?.Replayed(one);
            report = report.Add(one);
            UsageJournal.DeleteFiles(scans.Where(s => s.CorruptAt < 0).Select(s => s.Path));
        }

        return report;
    }

    private static SegmentHeader? ReadHeaderOnly(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            var buffer = new byte[JournalFormat.HeaderBytes];
            return file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) == buffer.Length ? JournalFormat.ReadHeader(buffer) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Drops a torn tail (zeroing it, so the file reads clean) and moves a corrupt segment aside.</summary>
    private ReplayReport Examine(SegmentScan scan)
    {
        if (scan.Empty)
        {
            JournalLog.EmptySegment(_logger, scan.Path);
            UsageJournal.DeleteFiles([scan.Path]);
            return ReplayReport.Empty;
        }

        if (scan.TornAt >= 0)
        {
            JournalLog.Torn(_logger, scan.Path, scan.TornAt);
            metrics?.Torn();
            try
            {
                using var file = new FileStream(scan.Path, FileMode.Open, FileAccess.Write);
                file.Position = scan.TornAt;
                file.Write(new byte[JournalFormat.TornWindow]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The file goes after the replay anyway; a second read finds the same torn record.
            }

            return ReplayReport.Empty with { TornRecords = 1 };
        }

        if (scan.CorruptAt >= 0)
        {
            var movedTo = $"{scan.Path}.corrupt-{_time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";
            try
            {
                File.Move(scan.Path, movedTo, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                movedTo = $"(could not be moved: {e.Message})";
            }

            JournalLog.Corrupt(_logger, scan.Path, scan.CorruptAt, scan.CorruptReason ?? "unreadable", movedTo, scan.Records.Count);
            metrics?.Corrupt();
            return ReplayReport.Empty with { CorruptSegments = 1 };
        }

        return ReplayReport.Empty;
    }

    private async Task<ReplayReport> ReplayInstanceAsync(string instance, List<SegmentScan> scans, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var accounts = new SortedDictionary<string, AccountRecords>(StringComparer.Ordinal);
        var records = 0;
        long latestTicks = 0;
        foreach (var scan in scans)
        {
            latestTicks = Math.Max(latestTicks, scan.Header!.CreatedTicks);
            foreach (var record in scan.Records)
            {
                records++;
                if (!accounts.TryGetValue(record.Account, out var account))
                {
                    accounts[record.Account] = account = new AccountRecords();
                }

                account.Add(record);
                latestTicks = Math.Max(latestTicks, record.ComposedAtTicks);
            }
        }

        // Any time no later than the crash will do for the report's ComposedAt, and the same on every replay of these
        // files: the latest time the journal itself shows.
        var tailComposedAt = new DateTimeOffset(latestTicks, TimeSpan.Zero);
        int exchanges = 0;
        long resent = 0, replayed = 0, lost = 0;
        foreach (var (id, account) in accounts)
        {
            var last = account.LastSequence;
            if (account.Unacknowledged is { } pending)
            {
                // Composed before the crash, not acknowledged: the store may have applied it. Same sequence, usage and
                // ComposedAt; the rest of the lease goes back with it (if it was applied, the store ignores this copy).
                var result = await ledger.ExchangeAsync(ReturnAll(id, instance, last, pending.Amount, new DateTimeOffset(pending.ComposedAtTicks, TimeSpan.Zero)), cancellationToken);
                exchanges++;
                if (Refused(result, id, instance, pending.Amount) is { } lostNow)
                {
                    lost += lostNow;
                }
                else
                {
                    resent += pending.Amount;
                    JournalLog.ReplayedAccount(_logger, instance, id, "resent", last, pending.Amount);
                }
            }

            // The usage after the last exchange composed, as the next sequence; it also returns the lease.
            var tail = account.UsageAfter(last);
            var answer = await ledger.ExchangeAsync(ReturnAll(id, instance, last + 1, tail, tailComposedAt), cancellationToken);
            exchanges++;
            if (Refused(answer, id, instance, tail) is { } lostTail)
            {
                lost += lostTail;
            }
            else
            {
                replayed += tail;
                JournalLog.ReplayedAccount(_logger, instance, id, "reported", last + 1, tail);
            }
        }

        var report = new ReplayReport(1, scans.Count, records, accounts.Count, exchanges, resent, replayed, lost, 0, 0);
        JournalLog.Replayed(_logger, instance, scans.Count, records, accounts.Count, exchanges, resent, replayed, lost, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return report;
    }

    private static LeaseExchange ReturnAll(string account, string instance, long sequence, long used, DateTimeOffset composedAt) =>
        new(account, instance, sequence, used, Return: Validation.MaxAmount, ReturnOverage: Validation.MaxAmount, ComposedAt: composedAt);

    /// <summary>The credits lost when the store refused the report (logged as an error), or null when it took it.</summary>
    private long? Refused(LeaseExchangeResult result, string account, string instance, long used)
    {
        var reason = !result.AccountExists ? "the account no longer exists"
            : result.InstanceExpired ? "the report was composed longer ago than the store's instance record horizon (Quota:Ledger:InstanceRecordHorizon), so it may already have been applied; it is not applied twice"
            : null;
        if (reason is null)
        {
            return null;
        }

        if (used > 0)
        {
            JournalLog.Lost(_logger, account, instance, used, reason);
        }

        return used;
    }

    /// <summary>One account's records in one instance's journal.</summary>
    private sealed class AccountRecords
    {
        private readonly Dictionary<long, long> _usageByBase = [];
        private readonly Dictionary<long, JournalRecord> _exchanges = [];
        private readonly HashSet<long> _acks = [];

        /// <summary>The last exchange composed (the largest sequence any record names; usage records name the last
        /// exchange composed before them).</summary>
        public long LastSequence { get; private set; }

        /// <summary>The last exchange, when it is journaled and was not acknowledged.</summary>
        public JournalRecord? Unacknowledged =>
            _exchanges.TryGetValue(LastSequence, out var exchange) && !_acks.Contains(LastSequence) ? exchange : null;

        public void Add(JournalRecord record)
        {
            LastSequence = Math.Max(LastSequence, record.Sequence);
            switch (record.Kind)
            {
                case JournalRecordKind.Usage:
                    _usageByBase[record.Sequence] = checked(_usageByBase.GetValueOrDefault(record.Sequence) + record.Amount);
                    break;
                case JournalRecordKind.Exchange:
                    _exchanges[record.Sequence] = record;
                    break;
                default:
                    _acks.Add(record.Sequence);
                    break;
            }
        }

        /// <summary>Usage recorded after exchange <paramref name="sequence"/> was composed (no exchange carried it).</summary>
        public long UsageAfter(long sequence) => _usageByBase.GetValueOrDefault(sequence);
    }
}
