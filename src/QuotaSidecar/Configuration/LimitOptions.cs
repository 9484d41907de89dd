using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Configuration;

/// <summary>Protection against overload and abuse (<c>Quota:Limits</c>). The request limits are the host's own;
/// <see cref="EvictIdleAccountsAfter"/> is read and written in the engine's <see cref="EngineOptions"/>.</summary>
public sealed class LimitOptions
{
    private readonly EngineOptions _engine;

    internal LimitOptions(EngineOptions engine) => _engine = engine;

    /// <summary>gRPC requests served at once; beyond it requests are shed at once with RESOURCE_EXHAUSTED.</summary>
    /// <value>The default value is 512.</value>
    public int MaxConcurrentRequests { get; set; } = 512;

    /// <summary>gRPC requests per second one connection may send (token bucket, bursts up to one second's worth); 0: no limit.</summary>
    /// <value>The default value is 100,000.</value>
    public int RequestsPerSecondPerConnection { get; set; } = 100_000;

    /// <summary>Concurrent HTTP/2 streams per connection.</summary>
    /// <value>The default value is 256.</value>
    public int MaxStreamsPerConnection { get; set; } = 256;

    /// <summary>How long a shed call waits for the rest of its request (its DATA frame and END_STREAM) before it is
    /// answered RESOURCE_EXHAUSTED: an answer that beats the request makes Kestrel reset the stream and track it for 5 s,
    /// and a connection with too many such streams is refused new streams and then closed (docs/reliability.md).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan ShedDrainTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>An account with nothing local (no lease, holds or unreported usage) unused this long is forgotten
    /// (<see cref="EngineOptions.EvictIdleAfter"/>).</summary>
    /// <value>The engine's default: 5 minutes.</value>
    public TimeSpan EvictIdleAccountsAfter
    {
        get => _engine.EvictIdleAfter;
        set => _engine.EvictIdleAfter = value;
    }
}
