using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Configuration;

/// <summary>Settlement timing (<c>Quota:Settle</c>); read and written in the engine's <see cref="EngineOptions"/>.</summary>
public sealed class SettleOptions
{
    private readonly EngineOptions _engine;

    internal SettleOptions(EngineOptions engine) => _engine = engine;

    /// <summary>How often usage is reported and leases renewed (<see cref="EngineOptions.SettleInterval"/>); the
    /// reclaim timings are multiples of it (<see cref="DerivedTimings"/>).</summary>
    /// <value>The engine's default: 250 ms.</value>
    public TimeSpan Interval
    {
        get => _engine.SettleInterval;
        set => _engine.SettleInterval = value;
    }
}
