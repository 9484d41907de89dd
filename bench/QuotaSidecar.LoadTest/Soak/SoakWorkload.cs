namespace QuotaSidecar.LoadTest.Soak;

/// <summary>What a soak scenario's callers do.</summary>
internal enum SoakWorkload
{
    /// <summary>Reserve 1 with a sidecar-made id, then Commit 1: the hold is remembered after it is committed.</summary>
    ReserveCommit,

    /// <summary>Consume 1 with a fresh request id each time: the id is remembered for idempotency.</summary>
    ConsumeWithRequestIds,
}
