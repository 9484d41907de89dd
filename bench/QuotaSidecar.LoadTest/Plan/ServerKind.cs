namespace QuotaSidecar.LoadTest.Plan;

/// <summary>The servers the tool compares.</summary>
internal enum ServerKind
{
    /// <summary>a. An empty unary gRPC call (bench/QuotaSidecar.Baselines).</summary>
    Floor,

    /// <summary>b. The sidecar with its in-process store.</summary>
    SidecarEmbedded,

    /// <summary>b. The sidecar with the Redis store.</summary>
    SidecarRedis,

    /// <summary>c. One Redis EVALSHA per request (bench/QuotaSidecar.Baselines).</summary>
    Naive,
}
