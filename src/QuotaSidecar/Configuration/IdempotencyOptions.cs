using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Configuration;

/// <summary>How long and how many finished holds are remembered for retries (<c>Quota:Idempotency</c>); read and
/// written in the engine's <see cref="EngineOptions"/>.</summary>
public sealed class IdempotencyOptions
{
    private readonly EngineOptions _engine;

    internal IdempotencyOptions(EngineOptions engine) => _engine = engine;

    /// <summary>How long a finished hold or a Consume's answer is remembered, from when it finished
    /// (<see cref="EngineOptions.IdempotencyWindow"/>).</summary>
    /// <value>The engine's default: 10 min.</value>
    public TimeSpan Window
    {
        get => _engine.IdempotencyWindow;
        set => _engine.IdempotencyWindow = value;
    }

    /// <summary>The most records kept with client-chosen ids, of each kind; past it the oldest finished ones go first
    /// (<see cref="EngineOptions.MaxIdempotencyRecords"/>).</summary>
    /// <value>The engine's default: 100,000.</value>
    public int MaxRecords
    {
        get => _engine.MaxIdempotencyRecords;
        set => _engine.MaxIdempotencyRecords = value;
    }

    /// <summary>Finished holds with sidecar-made ids remembered at once, 32 bytes each
    /// (<see cref="EngineOptions.SidecarIdRecords"/>).</summary>
    /// <value>The engine's default: 524,288.</value>
    public int SidecarIdRecords
    {
        get => _engine.SidecarIdRecords;
        set => _engine.SidecarIdRecords = value;
    }
}
