using Grpc.Core;

namespace QuotaSidecar.Cli.Output;

/// <summary>
/// A gRPC error as one line on stderr: <c>error: INVALID_ARGUMENT: amount must be between 1 and ... (got 0)</c>.
/// The canonical code name (the one in the gRPC docs and in the sidecar's contract) and the server's detail.
/// </summary>
internal static class RpcErrorLine
{
    /// <summary>Formats <paramref name="exception"/>, with an optional hint saying what to do in parentheses.</summary>
    public static string Format(RpcException exception, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var line = "error: " + CodeName(exception.StatusCode);
        var detail = OneLine(exception.Status.Detail);
        if (Innermost(exception.Status.DebugException) is { Length: > 0 } cause && !detail.Contains(cause, StringComparison.Ordinal))
        {
            // Client-side failures (no connection) say only "Error connecting to subchannel."; the cause says why.
            detail = detail.Length == 0 ? cause : $"{detail.TrimEnd('.')}: {cause}";
        }

        if (detail.Length > 0)
        {
            line += ": " + detail;
        }

        return hint is null ? line : $"{line} ({hint})";
    }

    /// <summary><see cref="StatusCode.InvalidArgument"/> is <c>INVALID_ARGUMENT</c>.</summary>
    public static string CodeName(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        StatusCode.Cancelled => "CANCELLED",
        StatusCode.Unknown => "UNKNOWN",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.Aborted => "ABORTED",
        StatusCode.OutOfRange => "OUT_OF_RANGE",
        StatusCode.Unimplemented => "UNIMPLEMENTED",
        StatusCode.Internal => "INTERNAL",
        StatusCode.Unavailable => "UNAVAILABLE",
        StatusCode.DataLoss => "DATA_LOSS",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        _ => "CODE_" + ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string? Innermost(Exception? exception)
    {
        if (exception is null)
        {
            return null;
        }

        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return OneLine(exception.Message);
    }

    // Transport errors carry inner exception text over several lines; scripts and log scrapers want one.
    private static string OneLine(string? detail) =>
        string.IsNullOrWhiteSpace(detail)
            ? string.Empty
            : string.Join(' ', detail.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
