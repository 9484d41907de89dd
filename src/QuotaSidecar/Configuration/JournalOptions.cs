using QuotaSidecar.Core.Journal;

namespace QuotaSidecar.Configuration;

/// <summary>The usage journal (<c>Quota:Journal</c>, docs/design.md §4b): where usage answered GRANTED is recorded
/// before it can be lost, so a sidecar killed before it reported it bills it at its next start. Read and written in
/// the journal's own <see cref="UsageJournalOptions"/>. Used with the Redis store only (the embedded store dies with
/// the process, so there is nothing to report to).</summary>
public sealed class JournalOptions
{
    private readonly UsageJournalOptions _journal;

    internal JournalOptions(UsageJournalOptions journal) => _journal = journal;

    /// <summary>The journal's directory (an <c>emptyDir</c> in Kubernetes, which survives container restarts); unset:
    /// no journal (<see cref="UsageJournalOptions.Directory"/>).</summary>
    /// <value>The default value is null (off).</value>
    public string? Path
    {
        get => _journal.Directory;
        set => _journal.Directory = value;
    }

    /// <summary>When pages are forced to the disk: Never, Interval (group commit) or Always (before each answer)
    /// (<see cref="UsageJournalOptions.Fsync"/>).</summary>
    /// <value>The default value is <see cref="JournalFsync.Interval"/>.</value>
    public JournalFsync Fsync
    {
        get => _journal.Fsync;
        set => _journal.Fsync = value;
    }

    /// <summary>The group-commit period of Fsync=Interval (<see cref="UsageJournalOptions.FsyncInterval"/>).</summary>
    /// <value>The default value is 100 ms.</value>
    public TimeSpan FsyncInterval
    {
        get => _journal.FsyncInterval;
        set => _journal.FsyncInterval = value;
    }

    /// <summary>Bytes of one pre-allocated segment file (<see cref="UsageJournalOptions.SegmentBytes"/>).</summary>
    /// <value>The default value is 4 MiB.</value>
    public long SegmentBytes
    {
        get => _journal.SegmentBytes;
        set => _journal.SegmentBytes = value;
    }

    /// <summary>The most bytes of segments kept at once; past it the journal turns off until the next start
    /// (<see cref="UsageJournalOptions.MaxBytes"/>).</summary>
    /// <value>The default value is 256 MiB.</value>
    public long MaxBytes
    {
        get => _journal.MaxBytes;
        set => _journal.MaxBytes = value;
    }
}
