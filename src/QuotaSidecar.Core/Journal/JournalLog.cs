using Microsoft.Extensions.Logging;

namespace QuotaSidecar.Core.Journal;

internal static partial class JournalLog
{
    [LoggerMessage(201, LogLevel.Information, "Usage journal in {Directory} (instance {InstanceId}, fsync {Fsync}, segments of {SegmentBytes} bytes, at most {MaxBytes} bytes)")]
    public static partial void Opened(ILogger logger, string directory, string instanceId, JournalFsync fsync, long segmentBytes, long maxBytes);

    [LoggerMessage(202, LogLevel.Warning, "Usage journal turned off for the rest of this process: {Reason}. Requests are still answered; usage committed from now on is lost if the process is killed before it is reported (as without a journal)")]
    public static partial void TurnedOff(ILogger logger, string reason);

    [LoggerMessage(203, LogLevel.Warning, "Usage journal reached Quota:Journal:MaxBytes ({MaxBytes} bytes, {Segments} segments not yet acknowledged by the store): turned off. Raise MaxBytes or bring the store back")]
    public static partial void Full(ILogger logger, long maxBytes, int segments);

    [LoggerMessage(204, LogLevel.Warning, "Usage journal: a torn last record (a crash while it was written) at byte {Offset} of {Path} was dropped")]
    public static partial void Torn(ILogger logger, string path, long offset);

    [LoggerMessage(205, LogLevel.Error, "Usage journal segment {Path} is corrupt at byte {Offset} ({Reason}); moved aside to {MovedTo}. The {Records} records before the damage are replayed; usage recorded after it cannot be and is reported as lost")]
    public static partial void Corrupt(ILogger logger, string path, long offset, string reason, string movedTo, int records);

    [LoggerMessage(206, LogLevel.Information, "Journal replay of instance {InstanceId}: {Segments} segments, {Records} records, {Accounts} accounts; {Exchanges} exchanges sent, {ResentCredits} credits in unacknowledged exchanges resent, {ReplayedCredits} credits of unreported usage reported, {LostCredits} credits lost, in {Milliseconds:F0} ms")]
    public static partial void Replayed(ILogger logger, string instanceId, int segments, int records, int accounts, int exchanges, long resentCredits, long replayedCredits, long lostCredits, double milliseconds);

    [LoggerMessage(207, LogLevel.Error, "Journal replay: {Credits} credits of usage of account {AccountId} by instance {InstanceId} are LOST (not billed): {Reason}")]
    public static partial void Lost(ILogger logger, string accountId, string instanceId, long credits, string reason);


    [LoggerMessage(209, LogLevel.Information, "Journal replay of instance {InstanceId} account {AccountId}: {Action} sequence {Sequence}, {Used} credits of usage, lease returned")]
    public static partial void ReplayedAccount(ILogger logger, string instanceId, string accountId, string action, long sequence, long used);

    [LoggerMessage(210, LogLevel.Warning, "Usage journal: an empty segment file {Path} (a crash while it was being made) was removed")]
    public static partial void EmptySegment(ILogger logger, string path);

    [LoggerMessage(211, LogLevel.Warning, "Usage journal: flushing to the disk failed ({Reason}); turned off")]
    public static partial void FlushFailed(ILogger logger, string reason);
}
