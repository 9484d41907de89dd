namespace QuotaSidecar.Core.Journal;

/// <summary>
/// The usage journal (docs/design.md, journal): a directory of memory-mapped segment files where the usage answered
/// GRANTED and the exchanges composed are recorded before they can be lost, so a restarted sidecar reports what a
/// killed one left unreported.
/// </summary>
public sealed class UsageJournalOptions
{
    /// <summary>The journal's directory (created if missing); null or empty: no journal.</summary>
    /// <value>The default value is null (off).</value>
    public string? Directory { get; set; }

    /// <summary>When pages are forced to the disk.</summary>
    /// <value>The default value is <see cref="JournalFsync.Interval"/>.</value>
    public JournalFsync Fsync { get; set; } = JournalFsync.Interval;

    /// <summary>The group-commit period of <see cref="JournalFsync.Interval"/>.</summary>
    /// <value>The default value is 100 ms.</value>
    public TimeSpan FsyncInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Bytes of one segment file (pre-allocated, so a full disk is found when a segment is made, never when a
    /// record is written). 64 KiB to 1 GiB, a multiple of 4 KiB.</summary>
    /// <value>The default value is 4 MiB (about 70,000 usage records).</value>
    public long SegmentBytes { get; set; } = 4L << 20;

    /// <summary>The most bytes of segment files this sidecar keeps at once (at least 2 segments). Records are trimmed
    /// a segment at a time once the store has acknowledged all they carry; when the store stays away long enough for
    /// this to fill, the journal is turned off for the rest of the process (metric and warning).</summary>
    /// <value>The default value is 256 MiB.</value>
    public long MaxBytes { get; set; } = 256L << 20;

    /// <summary>Whether a journal is configured.</summary>
    public bool Enabled => !string.IsNullOrEmpty(Directory);

    /// <summary>Throws <see cref="ArgumentException"/> naming the option that is out of range.</summary>
    public void Validate()
    {
        Require(!Enabled || Path.IsPathRooted(Directory), $"Directory must be an absolute path (got '{Directory}')");
        Require(Enum.IsDefined(Fsync), $"Fsync must be Never, Interval or Always (got {Fsync})");
        Require(FsyncInterval >= TimeSpan.FromMilliseconds(1) && FsyncInterval <= TimeSpan.FromMinutes(1), $"FsyncInterval must be 1 ms to 1 min (got {FsyncInterval})");
        Require(SegmentBytes is >= 64 << 10 and <= 1L << 30 && SegmentBytes % 4096 == 0, $"SegmentBytes must be 64 KiB to 1 GiB, a multiple of 4096 (got {SegmentBytes})");
        Require(MaxBytes >= 2 * SegmentBytes, $"MaxBytes must be at least two segments, {2 * SegmentBytes} (got {MaxBytes})");
    }

    private static void Require(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException(message);
        }
    }
}
