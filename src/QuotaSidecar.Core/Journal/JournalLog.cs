using Microsoft.Extensions.Logging;

namespace QuotaSidecar.Core.Journal;

internal static partial class JournalLog
{
    [LoggerMessage(101, LogLevel.Information, "Usage journal in {Directory} (instance {InstanceId}, fsync {Fsync}, segments of {SegmentBytes} bytes, at most {MaxBytes} bytes)")]
    public static partial void Opened(ILogger logger, string directory, string instanceId, JournalFsync fsync, long segmentBytes, long maxBytes);

    [LoggerMessage(102, LogLevel.Warning, "Usage journal turned off for the rest of this process: {Reason}. Requests are still answered; usage committed from now on is lost if the process is killed before it is reported (as without a journal)")]
    public static partial void TurnedOff(ILogger logger, string reason);

    [LoggerMessage(103, LogLevel.Warning, "Usage journal reached Quota:Journal:MaxBytes ({MaxBytes} bytes, {Segments} segments not yet acknowledged by the store): turned off. Raise MaxBytes or bring the store back")]
    public static partial void Full(ILogger logger, long maxBytes, int segments);

    [LoggerMessage(104, LogLevel.Warning, "Usage journal: a torn last record (a crash while it was written) at byte {Offset} of {Path} was dropped")]
    public static partial void Torn(ILogger logger, string path, long offset);

    [LoggerMessage(105, LogLevel.Error, "Usage journal segment {Path} is corrupt at byte {Offset} ({Reason}); moved aside to {MovedTo}. The {Records} records before the damage are replayed; usage recorded after it cannot be and is reported as lost")]
    public static partial void Corrupt(ILogger logger, string path, long offset, string reason, string movedTo, int records);

    [LoggerMessage(106, LogLevel.Information, "Journal replay of instance {InstanceId}: {Segments} segments, {Records} records, {Accounts} accounts; {Exchanges} exchanges resent ({ResentCredits} credits), {ReplayedCredits} credits of unreported usage reported, {LostCredits} credits lost, in {Milliseconds:F0} ms")]
    public static partial void Replayed(ILogger logger, string instanceId, int segments, int records, int accounts, int exchanges, long resentCredits, long replayedCredits, long lostCredits, double milliseconds);

    [LoggerMessage(107, LogLevel.Error, "Journal replay: {Credits} credits of usage of account {AccountId} by instance {InstanceId} are LOST (not billed): {Reason}")]
    public static partial void Lost(ILogger logger, string accountId, string instanceId, long credits, string reason);

    [LoggerMessage(108, LogLevel.Warning, "Journal replay could not reach the store ({Reason}); retrying in {Delay}. The sidecar stays not ready until it is done")]
    public static partial void ReplayRetry(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(109, LogLevel.Information, "Journal replay of instance {InstanceId} account {AccountId}: {Action} sequence {Sequence}, {Used} credits of usage, lease returned")]
    public static partial void ReplayedAccount(ILogger logger, string instanceId, string accountId, string action, long sequence, long used);

    [LoggerMessage(110, LogLevel.Warning, "Usage journal: an empty segment file {Path} (a crash while it was being made) was removed")]
    public static partial void EmptySegment(ILogger logger, string path);

    [LoggerMessage(111, LogLevel.Warning, "Usage journal: flushing to the disk failed ({Reason}); turned off")]
    public static partial void FlushFailed(ILogger logger, string reason);
}
