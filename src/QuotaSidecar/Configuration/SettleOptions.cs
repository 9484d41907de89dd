namespace QuotaSidecar.Configuration;

public sealed class SettleOptions
{
    /// <summary>How often usage is reported and leases renewed.</summary>
    /// <value>The default value is 250 ms.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(250);
}
