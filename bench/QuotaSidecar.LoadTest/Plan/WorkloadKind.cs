namespace QuotaSidecar.LoadTest.Plan;

internal enum WorkloadKind
{
    Ping,
    ReserveCommit,
    Consume,

    /// <summary>grpc.health.v1.Health/Check on the sidecar: its gRPC pipeline (middleware, interceptors) without the engine.</summary>
    Health,
}

internal static class WorkloadKinds
{
    public static string Name(this WorkloadKind kind) => kind switch
    {
        WorkloadKind.Ping => "ping",
        WorkloadKind.ReserveCommit => "reserve+commit",
        WorkloadKind.Health => "health",
        _ => "consume",
    };
}
