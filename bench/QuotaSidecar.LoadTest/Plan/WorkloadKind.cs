namespace QuotaSidecar.LoadTest.Plan;

internal enum WorkloadKind
{
    Ping,
    ReserveCommit,
    Consume,

    /// <summary>Reserve+Commit on the leaf of a depth-3 account path (org → team → key, every node HARD and
    /// funded): each request charges three accounts (docs/design.md#path-holds). Compared with
    /// <see cref="ReserveCommit"/> on a flat account of the same server.</summary>
    ReserveCommitDepth3,

    /// <summary>Reserve+Commit on a second flat account of the same server: the A/A control of the depth-3
    /// comparison (how far two identical workloads differ by the machine's noise alone).</summary>
    ReserveCommitTwin,
}
