namespace QuotaSidecar.Configuration;

/// <summary>
/// The usage export (<c>Quota:Usage:Export</c>, docs/design.md#usage-export): after the store applied an exchange, one
/// CloudEvent per account and label set of its usage, POSTed in batches (<c>application/cloudevents-batch+json</c>) to
/// <see cref="Endpoint"/>, e.g. OpenMeter's <c>/api/v1/events</c>. Off the hot path: a bounded queue, retries with
/// backoff, the oldest events dropped (counted and logged) when the queue is full.
/// </summary>
public sealed class UsageExportOptions
{
    /// <summary>The HTTP(S) URL events are POSTed to; unset: no export.</summary>
    /// <value>The default value is null (off).</value>
    public string? Endpoint { get; set; }

    /// <summary>An <c>Authorization</c> header value sent with every POST (e.g. <c>Bearer om_...</c>); unset: none.</summary>
    /// <value>The default value is null.</value>
    public string? Authorization { get; set; }

    /// <summary>The events' <c>source</c> attribute.</summary>
    /// <value>The default value is <c>quota-sidecar</c>.</value>
    public string Source { get; set; } = "quota-sidecar";

    /// <summary>The events' <c>type</c> attribute (what an OpenMeter meter's <c>eventType</c> names).</summary>
    /// <value>The default value is <c>com.quotasidecar.usage</c>.</value>
    public string Type { get; set; } = "com.quotasidecar.usage";

    /// <summary>The most events waiting to be sent; past it the oldest are dropped (<c>quota_usage_export_dropped_total</c>).</summary>
    /// <value>The default value is 100,000.</value>
    public int MaxQueue { get; set; } = 100_000;

    /// <summary>The most events in one POST.</summary>
    /// <value>The default value is 500.</value>
    public int BatchSize { get; set; } = 500;

    /// <summary>How long one POST may take before it counts as failed.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait after the first failed POST of a batch; it doubles with each further failure up to
    /// <see cref="MaxBackoff"/>. A batch is retried until it is accepted (the receiver deduplicates by event id).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two tries of a batch.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the export is on.</summary>
    internal bool Enabled => !string.IsNullOrWhiteSpace(Endpoint);

    internal void Validate(List<string> errors)
    {
        if (Enabled && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"Quota:Usage:Export:Endpoint must be an absolute http:// or https:// URL (got '{Endpoint}'); leave it unset for no export");
        }

        if (string.IsNullOrWhiteSpace(Source) || Source.Length > 256)
        {
            errors.Add($"Quota:Usage:Export:Source must be 1-256 characters (got '{Source}')");
        }

        if (string.IsNullOrWhiteSpace(Type) || Type.Length > 256)
        {
            errors.Add($"Quota:Usage:Export:Type must be 1-256 characters (got '{Type}')");
        }

        if (MaxQueue is < 100 or > 10_000_000)
        {
            errors.Add($"Quota:Usage:Export:MaxQueue must be between 100 and 10000000 (got {MaxQueue}); each queued event is ~200 bytes");
        }

        if (BatchSize < 1 || BatchSize > MaxQueue)
        {
            errors.Add($"Quota:Usage:Export:BatchSize must be between 1 and MaxQueue ({MaxQueue}) (got {BatchSize})");
        }

        if (Timeout < TimeSpan.FromMilliseconds(100) || Timeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Quota:Usage:Export:Timeout must be between 00:00:00.1 and 00:05:00 (got {Timeout})");
        }

        if (MinBackoff < TimeSpan.FromMilliseconds(10) || MaxBackoff < MinBackoff || MaxBackoff > TimeSpan.FromHours(1))
        {
            errors.Add($"Quota:Usage:Export:MinBackoff must be at least 10 ms and MaxBackoff between it and 1 hour (got {MinBackoff} and {MaxBackoff})");
        }
    }
}
