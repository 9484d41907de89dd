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
}
