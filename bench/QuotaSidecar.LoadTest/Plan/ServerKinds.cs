namespace QuotaSidecar.LoadTest.Plan;

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
