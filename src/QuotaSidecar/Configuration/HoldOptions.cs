using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Configuration;

/// <summary>Hold TTLs (<c>Quota:Holds</c>); read and written in the engine's <see cref="EngineOptions"/>.</summary>
public sealed class HoldOptions
{
    private readonly EngineOptions _engine;

    internal HoldOptions(EngineOptions engine) => _engine = engine;

    /// <summary>Hold TTL when a Reserve names none (<see cref="EngineOptions.DefaultHoldTtl"/>).</summary>
    /// <value>The engine's default: 60 s.</value>
    public TimeSpan DefaultTtl
    {
        get => _engine.DefaultHoldTtl;
        set => _engine.DefaultHoldTtl = value;
    }

    /// <summary>The longest TTL a Reserve may ask for (<see cref="EngineOptions.MaxHoldTtl"/>).</summary>
    /// <value>The engine's default: 1 h.</value>
    public TimeSpan MaxTtl
    {
        get => _engine.MaxHoldTtl;
        set => _engine.MaxHoldTtl = value;
    }
}
