namespace QuotaSidecar.Configuration;

/// <summary>Tracing choices of the sidecar's own (<c>Quota:Tracing</c>). Whether tracing is on, where it exports and
/// how it samples are the standard <c>OTEL_*</c> variables (docs/deploy.md#tracing), not settings here.</summary>
public sealed class TracingOptions
{
    /// <summary>Also trace the exchanges the background makes (settle pass, refills, shutdown drain): each a root
    /// span, kept or dropped by the sampler's root rule. Off, only exchanges a request waits on are traced (every
    /// settle of every active account would otherwise be a trace of its own).</summary>
    /// <value>The default value is false.</value>
    public bool BackgroundExchanges { get; set; }
}
