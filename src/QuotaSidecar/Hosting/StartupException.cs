namespace QuotaSidecar.Hosting;

/// <summary>
/// A resource named by a setting cannot be used at start (a certificate that does not load, a journal directory that
/// cannot be written). Its message is for the operator: it names the setting and says what to fix, and is printed
/// as it is, without a stack trace (<see cref="StartupFailure"/>).
/// </summary>
internal sealed class StartupException : Exception
{
    public StartupException()
    {
    }

    public StartupException(string message)
        : base(message)
    {
    }

    public StartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
