namespace QuotaSidecar.Core;

/// <summary>
/// An error the caller can act on. Thrown only on error paths (never for a denial, which is a result),
/// always before any state has changed.
/// </summary>
public sealed class QuotaException : Exception
{
    public QuotaException(QuotaError error, string message)
        : base(message)
    {
        Error = error;
    }

    public QuotaException()
        : this(QuotaError.InvalidArgument, "invalid request")
    {
    }

    public QuotaException(string message)
        : this(QuotaError.InvalidArgument, message)
    {
    }

    public QuotaException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = QuotaError.Unavailable;
    }

    /// <summary>Which kind of error this is.</summary>
    public QuotaError Error { get; }

    internal static QuotaException Invalid(string message) => new(QuotaError.InvalidArgument, message);

    internal static QuotaException NotFound(string message) => new(QuotaError.NotFound, message);

    internal static QuotaException Precondition(string message) => new(QuotaError.FailedPrecondition, message);

    internal static QuotaException Exists(string message) => new(QuotaError.AlreadyExists, message);

    internal static QuotaException Forgotten(string message) => new(QuotaError.Forgotten, message);
}
