namespace QuotaSidecar.Core.Engine;

/// <summary>The answer to "may this caller spend N credits now?". Values match <c>quota.v1.Decision</c>.</summary>
public enum Decision
{
    /// <summary>The credits are held (Reserve) or charged (Consume).</summary>
    Granted = 1,

    /// <summary>Nothing changed; see <see cref="DenyReason"/>.</summary>
    Denied = 2,
}
