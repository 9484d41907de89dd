namespace QuotaSidecar.Envoy;

/// <summary>The cost of requests whose path starts with <see cref="Prefix"/> (and, if set, use <see cref="Method"/>).</summary>
public sealed class EnvoyPathCost
{
    /// <summary>Path prefix, starting with '/'; plain string prefix as in an Envoy route's <c>prefix</c> match.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Optional HTTP method (GET, POST, ...); unset: any.</summary>
    public string? Method { get; set; }

    /// <summary>Credits, 1..2^53.</summary>
    public long Cost { get; set; }
}
