namespace QuotaSidecar.Configuration;

public sealed class LimitOptions
{
    /// <summary>gRPC requests served at once; beyond it requests are shed at once with RESOURCE_EXHAUSTED.</summary>
    /// <value>The default value is 512.</value>
    public int MaxConcurrentRequests { get; set; } = 512;

    /// <summary>gRPC requests per second one connection may send (token bucket, bursts up to one second's worth); 0: no limit.</summary>
    /// <value>The default value is 100,000.</value>
    public int RequestsPerSecondPerConnection { get; set; } = 100_000;

    /// <summary>Concurrent HTTP/2 streams per connection.</summary>
    /// <value>The default value is 256.</value>
    public int MaxStreamsPerConnection { get; set; } = 256;

    /// <summary>An account with nothing local (no lease, holds or unreported usage) unused this long is forgotten.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan EvictIdleAccountsAfter { get; set; } = TimeSpan.FromMinutes(5);
}
