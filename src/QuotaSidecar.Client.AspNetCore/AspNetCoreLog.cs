using Microsoft.Extensions.Logging;

namespace QuotaSidecar.Client.AspNetCore;

internal static partial class AspNetCoreLog
{
    [LoggerMessage(1, LogLevel.Debug, "Quota denied {Operation} for account '{Account}' ({Cost} credits): {Reason}")]
    public static partial void Denied(ILogger logger, string operation, string account, long cost, string reason);

    [LoggerMessage(2, LogLevel.Warning, "The quota sidecar did not answer for {Operation}: {Status}; the call is refused")]
    public static partial void SidecarUnavailable(ILogger logger, string operation, string status);

    [LoggerMessage(3, LogLevel.Warning, "Committing quota hold {ReservationId} after {Operation} failed; it is released when it expires")]
    public static partial void CommitFailed(ILogger logger, string reservationId, string operation, Exception exception);

    [LoggerMessage(4, LogLevel.Debug, "Quota would have denied {Operation} for account '{Account}' ({Cost} credits): {Reason}; let through in shadow mode, nothing charged")]
    public static partial void ShadowDenied(ILogger logger, string operation, string account, long cost, string reason);
}
