namespace QuotaSidecar.LoadTest.Plan;

internal static class WorkloadKinds
{
    public static string Name(this WorkloadKind kind) => kind switch
    {
        WorkloadKind.Ping => "ping",
        WorkloadKind.ReserveCommit => "reserve+commit",
        _ => "consume",
    };
}
