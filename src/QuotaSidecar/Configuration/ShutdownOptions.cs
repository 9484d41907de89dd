namespace QuotaSidecar.Configuration;

public sealed class ShutdownOptions
{
    /// <summary>Time allowed at SIGTERM to settle usage and return leases before the process exits.</summary>
    /// <value>The default value is 10 s.</value>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(10);
}
