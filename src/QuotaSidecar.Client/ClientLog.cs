using Microsoft.Extensions.Logging;

namespace QuotaSidecar.Client;

internal static partial class ClientLog
{
    [LoggerMessage(1, LogLevel.Debug, "Quota {Method} got UNAVAILABLE (attempt {Attempt} of {MaxAttempts}); retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, string method, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(2, LogLevel.Warning, "Releasing quota hold {ReservationId} on dispose failed; its credits come back when it expires")]
    public static partial void ReleaseOnDisposeFailed(ILogger logger, string reservationId, Exception exception);
}
