namespace QuotaSidecar.Core.Journal;

/// <summary>When the usage journal's pages are forced to the disk (docs/design.md, journal). Every mode survives a
/// crash of the process (the page cache has the records); the modes differ on a crash of the node.</summary>
public enum JournalFsync
{
    /// <summary>Never: the kernel writes the pages back when it likes (typically within 30 s).</summary>
    Never,

    /// <summary>Every <see cref="UsageJournalOptions.FsyncInterval"/> (group commit): a node crash loses at most that
    /// much of the journal.</summary>
    Interval,

    /// <summary>Before every Commit or Consume is answered: a node crash loses nothing that was answered, at the cost
    /// of one msync per answer.</summary>
    Always,
}
