namespace QuotaSidecar.LoadTest.Plan;

internal enum WorkloadKind
{
    Ping,
    ReserveCommit,
    Consume,
}
