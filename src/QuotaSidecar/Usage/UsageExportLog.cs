namespace QuotaSidecar.Usage;

internal static partial class UsageExportLog
{
    [LoggerMessage(1210, LogLevel.Information, "Usage export on: CloudEvents to {Endpoint} (batches of at most {BatchSize}, queue of {MaxQueue})")]
    public static partial void Started(ILogger logger, string endpoint, int batchSize, int maxQueue);

    [LoggerMessage(1211, LogLevel.Warning, "Usage export: POST of {Events} events to {Endpoint} failed (try {Attempt}: {Reason}); retrying in {Backoff}")]
    public static partial void PostFailed(ILogger logger, int events, string endpoint, int attempt, string reason, TimeSpan backoff);

    [LoggerMessage(1212, LogLevel.Warning, "Usage export queue full (Quota:Usage:Export:MaxQueue {MaxQueue}): the oldest events are dropped while {Endpoint} does not keep up; further drops this minute are only counted (quota_usage_export_dropped_total)")]
    public static partial void QueueFull(ILogger logger, int maxQueue, string endpoint);

    [LoggerMessage(1213, LogLevel.Error, "Usage export: {Endpoint} rejected a batch of {Events} events ({Status}); they are dropped, not retried (a malformed event would block every later one). Body: {Body}")]
    public static partial void Rejected(ILogger logger, string endpoint, int events, int status, string body);

    [LoggerMessage(1214, LogLevel.Warning, "Usage export stopped with {Events} events not sent (the endpoint did not accept them before shutdown)")]
    public static partial void Unsent(ILogger logger, int events);
}
