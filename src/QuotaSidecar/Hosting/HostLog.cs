using Microsoft.Extensions.Logging;

namespace QuotaSidecar.Hosting;

internal static partial class HostLog
{
    [LoggerMessage(100, LogLevel.Information, "QuotaSidecar {Instance} serving quota.v1.Quota{Admin} on {Endpoints}; metrics and health on http://{HttpHost}:{HttpPort}; store {Store}")]
    public static partial void Serving(ILogger logger, string instance, string admin, string endpoints, string httpHost, int httpPort, string store);

    [LoggerMessage(101, LogLevel.Warning, "The Quota API is bound to {Host}, not loopback: any host that reaches it can spend credits. Bind 127.0.0.1 or a Unix socket unless that is intended.")]
    public static partial void NotLoopback(ILogger logger, string host);

    [LoggerMessage(102, LogLevel.Information, "Seeded account {AccountId} ({Credits} credits)")]
    public static partial void Seeded(ILogger logger, string accountId, long credits);

    [LoggerMessage(103, LogLevel.Information, "Removed stale Unix socket {Path}")]
    public static partial void RemovedStaleSocket(ILogger logger, string path);

    [LoggerMessage(104, LogLevel.Information, "Shutting down: settling usage and returning leases (grace {Grace})")]
    public static partial void ShuttingDown(ILogger logger, TimeSpan grace);

    [LoggerMessage(105, LogLevel.Warning, "Admin API disabled: set Quota__Admin__Token to enable it")]
    public static partial void AdminDisabled(ILogger logger);

    [LoggerMessage(106, LogLevel.Warning, "Quota:Journal:Path ({Path}) is ignored with the embedded store: its balances die with the process, so there is nothing to report usage to after a crash")]
    public static partial void JournalIgnored(ILogger logger, string path);

    [LoggerMessage(107, LogLevel.Warning, "Journal replay could not reach the store ({Reason}); retrying in {Delay}. The sidecar stays not ready until it is done")]
    public static partial void ReplayRetry(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(108, LogLevel.Information, "Shadow mode: {Api} of {Amount} credits for account {AccountId} would have been denied ({Reason}); answered GRANTED, nothing charged ({Unlogged} more shadow denials since the last such line)")]
    public static partial void ShadowDenied(ILogger logger, string api, string accountId, long amount, string reason, long unlogged);

    [LoggerMessage(109, LogLevel.Warning, "A shed call was answered before its request ended ({Reason}; bounds: Quota:Limits:ShedDrainTimeout {Timeout}, {MaxBytes} bytes): Kestrel resets such streams and keeps them draining, and too many on one connection make it refuse streams or close the connection ({Unlogged} more since the last such line)")]
    public static partial void ShedUndrained(ILogger logger, string reason, TimeSpan timeout, long maxBytes, long unlogged);
}
