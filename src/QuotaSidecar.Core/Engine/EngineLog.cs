using Microsoft.Extensions.Logging;

namespace QuotaSidecar.Core.Engine;

internal static partial class EngineLog
{
    [LoggerMessage(1, LogLevel.Warning, "Central store unavailable for account {AccountId}; serving from leases ({Reason})")]
    public static partial void StoreUnavailable(ILogger logger, string accountId, string reason);

    [LoggerMessage(2, LogLevel.Information, "Central store reachable again")]
    public static partial void StoreBack(ILogger logger);

    [LoggerMessage(3, LogLevel.Warning, "Lease of account {AccountId} was reclaimed by the store while held; {Unreported} credits of usage charged centrally")]
    public static partial void LeaseLost(ILogger logger, string accountId, long unreported);

    [LoggerMessage(4, LogLevel.Information, "Shutdown: released {Holds} open holds, returned leases of {Accounts} accounts, {Failed} could not be settled")]
    public static partial void Shutdown(ILogger logger, int holds, int accounts, int failed);

    [LoggerMessage(5, LogLevel.Error, "Settle pass failed")]
    public static partial void SettleFailed(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Idempotency records reached Quota:Idempotency:MaxRecords ({MaxRecords}): finished holds are now remembered for {Remembered} instead of the {Window} window; a retry older than that gets OUT_OF_RANGE (sidecar-made ids) or NOT_FOUND. Raise MaxRecords (memory) or shorten the window")]
    public static partial void IdempotencyRecordsCapped(ILogger logger, int maxRecords, TimeSpan remembered, TimeSpan window);
}
