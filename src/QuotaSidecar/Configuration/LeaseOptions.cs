namespace QuotaSidecar.Configuration;

public sealed class LeaseOptions
{
    /// <summary>A lease not renewed within this time is reclaimed by the store.</summary>
    /// <value>The default value is 30 s.</value>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A lease aims to cover this much time of the observed rate.</summary>
    /// <value>The default value is 2 s.</value>
    public TimeSpan RefillHorizon { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Smallest lease target, in credits.</summary>
    /// <value>The default value is 100.</value>
    public long Min { get; set; } = 100;

    /// <summary>Largest lease target, in credits.</summary>
    /// <value>The default value is 1,000,000.</value>
    public long Max { get; set; } = 1_000_000;

    /// <summary>Largest share of the central available credits one take may lease.</summary>
    /// <value>The default value is 0.10.</value>
    public double MaxShare { get; set; } = 0.10;

    /// <summary>Unused credits of an account idle this long go back to the store.</summary>
    /// <value>The default value is 10 s.</value>
    public TimeSpan IdleReturnAfter { get; set; } = TimeSpan.FromSeconds(10);
}
