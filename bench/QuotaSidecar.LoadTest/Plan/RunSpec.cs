using QuotaSidecar.LoadTest.Network;

namespace QuotaSidecar.LoadTest.Plan;

/// <summary>One run to make: a closed loop at <see cref="Concurrency"/> or, when <see cref="Rate"/> is set, an open loop.</summary>
internal sealed record RunSpec(ServerKind Server, WorkloadKind Workload, Transport Transport, int Concurrency, double? Rate = null)
{
    public string Describe(double delayMs) =>
        $"{Server.Name()} {Workload.Name()} {Transport.ToString().ToLowerInvariant()} " +
        (Rate is { } r ? $"open@{r:0}/s" : $"c{Concurrency}") + (delayMs > 0 ? $" redis+{delayMs:0.#}ms" : "");
}
