namespace QuotaSidecar.LoadTest.Soak;

/// <summary>One soak: a workload against one sidecar on one store.</summary>
/// <param name="Redis">True: the sidecar's central store is the soak's redis-server; false: the embedded ledger.</param>
internal sealed record SoakScenario(bool Redis, SoakWorkload Workload)
{
    /// <summary>Every scenario, in the order they run: the embedded store first (no Redis needed).</summary>
    public static IReadOnlyList<SoakScenario> All { get; } =
    [
        new(false, SoakWorkload.ReserveCommit),
        new(false, SoakWorkload.ConsumeWithRequestIds),
        new(true, SoakWorkload.ReserveCommit),
        new(true, SoakWorkload.ConsumeWithRequestIds),
    ];

    /// <summary>Used in file names and on the command line (--only): e.g. <c>embedded-reserve-commit</c>.</summary>
    public string Name => (Redis ? "redis-" : "embedded-") + (Workload == SoakWorkload.ReserveCommit ? "reserve-commit" : "consume-ids");

    public string Describe => (Redis ? "Redis store" : "embedded store") + ", "
        + (Workload == SoakWorkload.ReserveCommit ? "Reserve(1)+Commit(1) with sidecar-made ids" : "Consume(1) with a new request id each call");
}
