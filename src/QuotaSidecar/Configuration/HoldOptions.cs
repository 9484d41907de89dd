namespace QuotaSidecar.Configuration;

public sealed class HoldOptions
{
    /// <summary>Hold TTL when a Reserve names none.</summary>
    /// <value>The default value is 60 s.</value>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest TTL a Reserve may ask for (reservation ids are remembered this long).</summary>
    /// <value>The default value is 1 h.</value>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromHours(1);
}
