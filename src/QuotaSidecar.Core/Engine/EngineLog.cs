using Microsoft.Extensions.Logging;

namespace QuotaSidecar.Core.Engine;

internal static partial class EngineLog
{
    [LoggerMessage(1, LogLevel.Warning, "Central store unavailable ({Shard}) for account {AccountId}; serving from leases ({Reason})")]
    public static partial void StoreUnavailable(ILogger logger, string shard, string accountId, string reason);

    [LoggerMessage(2, LogLevel.Information, "Central store reachable again ({Shard})")]
    public static partial void StoreBack(ILogger logger, string shard);

    [LoggerMessage(3, LogLevel.Warning, "Lease of account {AccountId} was reclaimed by the store while held; {Unreported} credits of usage charged centrally")]
    public static partial void LeaseLost(ILogger logger, string accountId, long unreported);

    [LoggerMessage(4, LogLevel.Information, "Shutdown: released {Holds} open holds, returned leases of {Accounts} accounts, {Failed} could not be settled")]
    public static partial void Shutdown(ILogger logger, int holds, int accounts, int failed);

    [LoggerMessage(5, LogLevel.Error, "Settle pass failed")]
    public static partial void SettleFailed(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Idempotency records reached Quota:Idempotency:MaxRecords ({MaxRecords}): finished holds are now remembered for {Remembered} instead of the {Window} window; a retry older than that gets OUT_OF_RANGE (sidecar-made ids) or NOT_FOUND. Raise MaxRecords (memory) or shorten the window")]
    public static partial void IdempotencyRecordsCapped(ILogger logger, int maxRecords, TimeSpan remembered, TimeSpan window);

    [LoggerMessage(7, LogLevel.Warning, "Central store went back in time for account {AccountId}: its record of this sidecar was older than exchange {Acknowledged} it had acknowledged (a restart from an AOF missing its last writes, a restore, a failover to a lagging replica). {Restored} credits of usage it had lost were charged again; the local lease went from {CreditsBefore} credits and {OverageBefore} allowance to {CreditsAfter} and {OverageAfter}, what the store records")]
    public static partial void StoreRolledBack(ILogger logger, string accountId, long acknowledged, long restored, long creditsBefore, long overageBefore, long creditsAfter, long overageAfter);

    [LoggerMessage(8, LogLevel.Warning, "Central store went back in time on more accounts: {Logged} logged in the last minute, further ones this minute are only counted (quota_store_rollbacks_total, quota_store_rollback_restored_total)")]
    public static partial void StoreRollbacksThrottled(ILogger logger, int logged);

    [LoggerMessage(9, LogLevel.Error, "Central store no longer knows account {AccountId} although it acknowledged exchange {Acknowledged} for it (usage total {AcknowledgedUsage}): it lost the account (restored from before its creation?). The sidecar treats it as unknown; usage on it cannot be billed until the account and its grants are recreated")]
    public static partial void StoreLostAccount(ILogger logger, string accountId, long acknowledged, long acknowledgedUsage);

    [LoggerMessage(10, LogLevel.Warning, "Store shards reached the cap of {MaxShards} breakers: shard {Shard} shares one breaker with any other shard beyond the cap (a failure of one of them opens it for all). Further cases are only counted (quota_store_shards_overflow_total)")]
    public static partial void StoreShardsCapped(ILogger logger, int maxShards, string shard);

    [LoggerMessage(11, LogLevel.Information, "Store shard {Shard} serves no account any more (failed over, or left the cluster): its breaker is dropped")]
    public static partial void StoreShardRetired(ILogger logger, string shard);
}
