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

internal static class ServerKinds
{
    public static string Name(this ServerKind kind) => kind switch
    {
        ServerKind.Floor => "floor",
        ServerKind.SidecarEmbedded => "sidecar-embedded",
        ServerKind.SidecarRedis => "sidecar-redis",
        _ => "naive",
    };

    public static bool NeedsRedis(this ServerKind kind) => kind is ServerKind.SidecarRedis or ServerKind.Naive;

    public static bool IsSidecar(this ServerKind kind) => kind is ServerKind.SidecarEmbedded or ServerKind.SidecarRedis;
}
