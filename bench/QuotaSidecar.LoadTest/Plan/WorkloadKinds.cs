namespace QuotaSidecar.LoadTest.Plan;

internal static class WorkloadKinds
{
    public static string Name(this WorkloadKind kind) => kind switch
    {
        WorkloadKind.Ping => "ping",
        WorkloadKind.ReserveCommit => "reserve+commit",
        WorkloadKind.ReserveCommitDepth3 => "reserve+commit depth3",
        WorkloadKind.ReserveCommitTwin => "reserve+commit twin",
        _ => "consume",
    };

    /// <summary>An operation of two requests, a Reserve and its Commit.</summary>
    public static bool IsReserveCommit(this WorkloadKind kind) => kind is WorkloadKind.ReserveCommit or WorkloadKind.ReserveCommitDepth3 or WorkloadKind.ReserveCommitTwin;
}
