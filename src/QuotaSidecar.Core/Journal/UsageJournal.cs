using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QuotaSidecar.Core.Leases;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Journal;

/// <summary>
/// The usage journal of this process (docs/design.md §4b): before a Commit or Consume is answered, the usage it
/// adds is copied into a memory-mapped segment file, so a killed process leaves it in the page cache and the next
/// start reports it (<see cref="JournalReplayer"/>). Exchanges are recorded when composed and acknowledged when
/// their answer is applied, so the replay knows what the store may already have applied (it resends that with the
/// same sequence; the store applies a sequence at most once).
/// <para>
/// Records are appended under one lock (a copy of about 50 bytes: sequential writes, so a crash can tear only the
/// last record). Segments go a whole file at a time, oldest first, once nothing in them is unacknowledged: an
/// account pins the segment of its oldest unacknowledged usage (the prefix order protects its later records).
/// If the volume fails or <see cref="UsageJournalOptions.MaxBytes"/> fills, the journal turns itself off for the
/// rest of the process (a warning and <c>quota.journal.failures</c>): requests never fail because of it. A lock
/// file held for the process's life keeps a second sidecar out of the directory.
/// </para>
/// </summary>
public sealed class UsageJournal : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<JournalSegment> _segments = [];
    private readonly UsageJournalOptions _options;
    private readonly TimeProvider _time;
    private readonly JournalMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly FileStream _lockFile;
    private readonly ITimer? _flushTimer;
    private readonly bool _flushEachRecord;
    private volatile bool _off;
    private long _records;
    private long _nextNumber = 1;
    private bool _disposed;

    // The next segment, made and pre-faulted in the background once the current one is half full, so a roll on the
    // hot path is a pointer swap.
    private Task<JournalSegment?>? _spare;
    private string? _spareError;

    private UsageJournal(UsageJournalOptions options, string instanceId, TimeProvider time, JournalMetrics? metrics, ILogger logger, FileStream lockFile, IReadOnlyList<string> earlier)
    {
        _options = options;
        InstanceId = instanceId;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _lockFile = lockFile;
        EarlierSegments = earlier;
        Directory = options.Directory!;
        _flushEachRecord = options.Fsync == JournalFsync.Always;
        if (options.Fsync == JournalFsync.Interval)
        {
            _flushTimer = time.CreateTimer(_ => FlushDirty(), null, options.FsyncInterval, options.FsyncInterval);
        }
    }

    /// <summary>The journal's directory.</summary>
    public string Directory { get; }

    /// <summary>This process's instance id: the journal's records are reported under it after a crash.</summary>
    public string InstanceId { get; }

    /// <summary>Segment files of earlier instances found at open: what <see cref="JournalReplayer"/> replays.</summary>
    public IReadOnlyList<string> EarlierSegments { get; }

    /// <summary>False once the journal turned itself off (full, or the volume failed).</summary>
    public bool Enabled => !_off;

    /// <summary>Records written by this process.</summary>
    public long Records => Volatile.Read(ref _records);

    /// <summary>Bytes of this process's segment files on disk.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _segments.Count * _options.SegmentBytes;
            }
        }
    }

    /// <summary>Segment files of this process on disk (oldest first).</summary>
    internal int SegmentCount
    {
        get
        {
            lock (_gate)
            {
                return _segments.Count;
            }
        }
    }

    /// <summary>
    /// Opens the journal in <see cref="UsageJournalOptions.Directory"/> for <paramref name="instanceId"/>: creates the
    /// directory, takes its lock file, lists the segments earlier instances left, and makes this process's first
    /// segment. Throws <see cref="IOException"/> (or <see cref="UnauthorizedAccessException"/>) saying what is wrong
    /// when the directory cannot be used or another process holds it: a start-up failure, not a silent degrade.
    /// </summary>
    public static UsageJournal Open(UsageJournalOptions options, string instanceId, TimeProvider? time = null, JournalMetrics? metrics = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        options.Validate();
        if (!options.Enabled)
        {
            throw new ArgumentException("no journal directory configured", nameof(options));
        }

        time ??= TimeProvider.System;
        logger ??= NullLogger.Instance;
        var directory = options.Directory!;
        System.IO.Directory.CreateDirectory(directory);
        var lockPath = Path.Combine(directory, JournalFormat.LockFileName);
        FileStream lockFile;
        try
        {
            // FileShare.None is an exclusive flock(2) on Linux: released by the kernel when the process dies, however.
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && File.Exists(lockPath))
        {
            throw new IOException($"the journal directory {directory} is in use by another sidecar process (its lock file {lockPath} is held): two sidecars must never share a journal; give each its own directory", e);
        }

        try
        {
            var earlier = System.IO.Directory.GetFiles(directory, "*" + JournalFormat.SegmentExtension);
            Array.Sort(earlier, StringComparer.Ordinal);
            var journal = new UsageJournal(options, instanceId, time, metrics, logger, lockFile, earlier);
            lock (journal._gate)
            {
                var first = journal.CreateSegment(journal._nextNumber++);
                first.Prefault();
                journal._segments.Add(first);
            }

            if (metrics is not null)
            {
                journal.Observe(metrics);
            }

            JournalLog.Opened(logger, directory, instanceId, options.Fsync, options.SegmentBytes, options.MaxBytes);
            return journal;
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Usage answered GRANTED on <paramref name="account"/> (its gate held), not yet in an exchange.</summary>
    internal void Usage(LocalAccount account, long amount)
    {
        if (_off)
        {
            return;
        }

        JournalSegment? flush = null;
        lock (_gate)
        {
            var id = account.Id;
            var length = JournalFormat.RecordHeaderBytes + JournalFormat.BodyBytes(JournalRecordKind.Usage, id.Length);
            if (Room(length) is not { } segment)
            {
                return;
            }

            segment.Advance(JournalFormat.WriteRecord(segment.Next(length), JournalRecordKind.Usage, id, amount, account.JournalSequence, 0));
            _records++;
            if (account.JournalUsagePin < 0)
            {
                account.JournalUsagePin = segment.Number;
                segment.Pins++;
            }

            flush = _flushEachRecord ? segment : null;
        }

        if (flush is not null)
        {
            Flush(flush);
        }
    }

    /// <summary>An exchange composed for <paramref name="account"/> (its gate held), before it is sent.</summary>
    internal void Exchange(LocalAccount account, LeaseExchange exchange)
    {
        if (_off)
        {
            return;
        }

        JournalSegment? flush = null;
        lock (_gate)
        {
            var id = account.Id;
            var length = JournalFormat.RecordHeaderBytes + JournalFormat.BodyBytes(JournalRecordKind.Exchange, id.Length);
            if (Room(length) is not { } segment)
            {
                return;
            }

            var composedAt = exchange.ComposedAt?.UtcTicks ?? 0;
            segment.Advance(JournalFormat.WriteRecord(segment.Next(length), JournalRecordKind.Exchange, id, exchange.Sequence, exchange.Used, composedAt));
            _records++;
            account.JournalSequence = exchange.Sequence;
            Debug.Assert(account.JournalExchangePin < 0, "one exchange in flight at a time");
            Unpin(account.JournalExchangePin);
            if (account.JournalUsagePin >= 0)
            {
                // The exchange carries that usage: its records stay until the exchange is acknowledged.
                account.JournalExchangePin = account.JournalUsagePin;
                account.JournalUsagePin = -1;
            }
            else
            {
                account.JournalExchangePin = segment.Number;
                segment.Pins++;
            }

            flush = _flushEachRecord ? segment : null;
        }

        if (flush is not null)
        {
            Flush(flush);
        }
    }

    /// <summary>The store's answer to <paramref name="sequence"/> was applied to <paramref name="account"/> (its gate
    /// held): its records are no longer needed.</summary>
    internal void Ack(LocalAccount account, long sequence)
    {
        if (_off)
        {
            return;
        }

        List<JournalSegment>? trimmed = null;
        lock (_gate)
        {
            var id = account.Id;
            var length = JournalFormat.RecordHeaderBytes + JournalFormat.BodyBytes(JournalRecordKind.Ack, id.Length);
            if (Room(length) is not { } segment)
            {
                return;
            }

            segment.Advance(JournalFormat.WriteRecord(segment.Next(length), JournalRecordKind.Ack, id, sequence, 0, 0));
            _records++;
            Unpin(account.JournalExchangePin);
            account.JournalExchangePin = -1;
            trimmed = Trim();
        }

        DeleteAll(trimmed);
    }

    /// <summary>Flushes what is dirty (the interval mode's group commit; also callable from tests).</summary>
    public void FlushDirty()
    {
        List<JournalSegment>? dirty = null;
        lock (_gate)
        {
            foreach (var segment in _segments)
            {
                if (segment.Dirty)
                {
                    segment.Dirty = false;
                    (dirty ??= []).Add(segment);
                }
            }
        }

        foreach (var segment in dirty ?? [])
        {
            Flush(segment);
        }
    }

    /// <summary>
    /// Closes the journal at shutdown: when everything this process recorded was acknowledged (the shutdown drain
    /// reported all usage) its segments are deleted; otherwise they are flushed and kept for the next start's
    /// replay. Then the lock file is released.
    /// </summary>
    public void Dispose()
    {
        List<JournalSegment> segments;
        bool clean;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _off = true;
            segments = [.. _segments];
            _segments.Clear();
            clean = segments.TrueForAll(s => s.Pins == 0);
        }

        TakeSpare()?.Delete(); // made ahead, never written to

        _flushTimer?.Dispose();
        foreach (var segment in segments)
        {
            if (clean)
            {
                segment.Delete();
            }
            else
            {
                segment.Flush();
                segment.Dispose();
            }
        }

        _lockFile.Dispose();
    }

    /// <summary>Stops as a killed process stops (tests): nothing more is written, nothing is flushed or deleted, the
    /// maps are dropped and the lock released (the kernel would keep the mapped pages in the page cache).</summary>
    internal void Abandon()
    {
        List<JournalSegment> segments;
        lock (_gate)
        {
            _disposed = true;
            _off = true;
            segments = [.. _segments];
            _segments.Clear();
        }

        _flushTimer?.Dispose();
        segments.ForEach(s => s.Dispose());
        TakeSpare()?.Dispose(); // left on disk, as a killed process leaves it: an empty segment replays as nothing
        _lockFile.Dispose();
    }

    private JournalSegment? TakeSpare()
    {
        Task<JournalSegment?>? spare;
        lock (_gate)
        {
            spare = _spare;
            _spare = null;
        }

        return spare?.GetAwaiter().GetResult();
    }

    /// <summary>Deletes segment files of earlier instances once they are replayed.</summary>
    internal static void DeleteFiles(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Left for the next start: replaying it again is harmless (the store answers repeats with their
                // first answer).
            }
        }
    }

    private void Observe(JournalMetrics metrics)
    {
        metrics.Meter.CreateObservableCounter("quota.journal.records", () => Records, "{record}", "Usage journal records written by this process.");
        metrics.Meter.CreateObservableGauge("quota.journal.bytes", () => Bytes, "By", "Bytes of this process's usage journal segments on disk (bounded by Quota:Journal:MaxBytes).");
        metrics.Meter.CreateObservableGauge("quota.journal.enabled", () => _off && !_disposed ? 0 : 1, "{bool}", "1 while the usage journal records usage; 0 once it turned itself off (full or the volume failed).");
    }

    /// <summary>The segment with room for <paramref name="length"/> bytes, rolling to a new one when the current is
    /// full; null when the journal is (or just turned) off. Under the gate.</summary>
    private JournalSegment? Room(int length)
    {
        if (_off)
        {
            return null;
        }

        var current = _segments[^1];
        if (current.Remaining >= length)
        {
            if (_spare is null && current.Position > current.Size / 2)
            {
                PrepareSpare();
            }

            return current;
        }

        if ((_segments.Count + 1) * _options.SegmentBytes > _options.MaxBytes)
        {
            JournalLog.Full(_logger, _options.MaxBytes, _segments.Count);
            TurnOff("full", $"Quota:Journal:MaxBytes ({_options.MaxBytes}) reached");
            return null;
        }

        // Rarely still running (half a segment filled faster than one is made): waiting is still cheaper than
        // making one here.
        var next = _spare?.GetAwaiter().GetResult();
        _spare = null;
        if (next is null)
        {
            try
            {
                next = CreateSegment(_nextNumber++);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                TurnOff("io", $"a new segment could not be made in {Directory}: {_spareError ?? e.Message}");
                return null;
            }
        }

        current.Sealed = true;
        _segments.Add(next);
        DeleteAll(Trim());
        return next;
    }

    /// <summary>Starts making the next segment in the background, if the bound leaves room for it. Under the gate.</summary>
    private void PrepareSpare()
    {
        if ((_segments.Count + 1) * _options.SegmentBytes > _options.MaxBytes)
        {
            return;
        }

        var number = _nextNumber++;
        _spare = Task.Run(() =>
        {
            try
            {
                var segment = CreateSegment(number);
                segment.Prefault();
                return segment;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _spareError = e.Message;
                return null;
            }
        });
    }

    private JournalSegment CreateSegment(long number)
    {
        var path = Path.Combine(Directory, JournalFormat.SegmentFileName(InstanceId, number));
        return JournalSegment.Create(path, number, _options.SegmentBytes, _time.GetUtcNow().UtcTicks, InstanceId);
    }

    private void Unpin(long number)
    {
        if (number < 0)
        {
            return;
        }

        foreach (var segment in _segments)
        {
            if (segment.Number == number)
            {
                segment.Pins--;
                Debug.Assert(segment.Pins >= 0, "a segment unpinned more often than pinned");
                return;
            }
        }
    }

    /// <summary>The oldest sealed segments with nothing unacknowledged, taken off the list. Under the gate.</summary>
    private List<JournalSegment>? Trim()
    {
        List<JournalSegment>? trimmed = null;
        while (_segments.Count > 1 && _segments[0] is { Sealed: true, Pins: 0 } oldest)
        {
            _segments.RemoveAt(0);
            (trimmed ??= []).Add(oldest);
        }

        return trimmed;
    }

    private static void DeleteAll(List<JournalSegment>? segments)
    {
        foreach (var segment in segments ?? [])
        {
            segment.Delete();
        }
    }

    private void Flush(JournalSegment segment)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            segment.Flush();
        }
        catch (IOException e)
        {
            JournalLog.FlushFailed(_logger, e.Message);
            lock (_gate)
            {
                TurnOff("io", $"msync failed: {e.Message}");
            }

            return;
        }

        _metrics?.Flushed(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private void TurnOff(string tag, string reason)
    {
        if (_off)
        {
            return;
        }

        _off = true;
        _metrics?.Failed(tag);
        JournalLog.TurnedOff(_logger, reason);
    }
}
