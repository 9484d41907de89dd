using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Configuration;

/// <summary>How long anything waits on the central store (<c>Quota:Store:MaxWait</c>,
/// <c>Quota:Store:ExchangeTimeout</c>, beside <c>Quota:Store</c> itself, which names the store); read and written in
/// the engine's <see cref="EngineOptions"/>.</summary>
public sealed class StoreWaitOptions
{
    private readonly EngineOptions _engine;

    internal StoreWaitOptions(EngineOptions engine) => _engine = engine;

    /// <summary>The longest a Reserve or Consume waits for the store; then it is answered from what is local
    /// (<see cref="EngineOptions.MaxStoreWait"/>). At most <see cref="ExchangeTimeout"/>.</summary>
    /// <value>The engine's default: 100 ms.</value>
    public TimeSpan MaxWait
    {
        get => _engine.MaxStoreWait;
        set => _engine.MaxStoreWait = value;
    }

    /// <summary>An exchange the store has not answered in this time has failed and opens the breaker; also the
    /// Redis client's timeouts (<see cref="EngineOptions.ExchangeTimeout"/>).</summary>
    /// <value>The engine's default: 1 s.</value>
    public TimeSpan ExchangeTimeout
    {
        get => _engine.ExchangeTimeout;
        set => _engine.ExchangeTimeout = value;
    }
}
