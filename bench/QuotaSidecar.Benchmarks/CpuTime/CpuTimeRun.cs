using System.Globalization;
using QuotaSidecar.Benchmarks.Engine;

namespace QuotaSidecar.Benchmarks.CpuTime;

/// <summary>
/// <c>--cpu-time</c>: the single-thread hot-path benchmarks again, timed by the thread's own CPU clock instead of the
/// wall clock. On a shared machine (load average far above the core count) BenchmarkDotNet's wall-clock numbers
/// swing by several x; CPU time excludes the time the thread was preempted, so it stays close to the quiet-machine
/// cost. Same code, same batches, same forgetting of records as <see cref="HotPathBenchmarks"/>.
/// </summary>
internal static class CpuTimeRun
{
    private const int Warmup = 50;

    /// <param name="filter">Only benchmarks whose name contains this (case-insensitive); null: all.</param>
    /// <param name="samples">Batches measured per benchmark (more for a profiler to sample).</param>
    public static int Run(string? filter = null, int samples = 300)
    {
        if (!ThreadCpuClock.IsSupported)
        {
            Console.Error.WriteLine("--cpu-time needs Linux (CLOCK_THREAD_CPUTIME_ID)");
            return 1;
        }

        var bench = new HotPathBenchmarks();
        bench.Setup();
        try
        {
            Console.WriteLine($"Thread CPU time per operation, median (p10-p90) of {samples} batches of {HotPathBenchmarks.Batch}, incl. forgetting each batch's records:");
            (string Name, Func<long> Batch)[] all =
            [
                ("Reserve+Commit (sidecar-made id)", bench.ReserveCommit),
                ("Reserve+Commit (client id)", bench.ReserveCommitClientId),
                ("Consume", bench.Consume),
                ("Reserve denied (suspended, local)", bench.ReserveDeniedSuspended),
                ("Reserve denied (no credits, asks store)", bench.ReserveDeniedNoCredits),
                ("GetBalance", bench.GetBalance),
            ];
            foreach (var (name, batch) in all)
            {
                if (filter is null || name.Contains(filter, StringComparison.OrdinalIgnoreCase))
                {
                    Measure(name, batch, samples);
                }
            }

            RetainedPerHold();
            return 0;
        }
        finally
        {
            bench.Cleanup();
        }
    }

    /// <summary>Heap kept alive per Reserve+Commit until the idempotency window passes (default 1 h: the hold stays
    /// remembered for replays), measured on a full GC before and after 200,000 pairs.</summary>
    private static void RetainedPerHold()
    {
        const int Pairs = 200_000;
        var fixture = EngineFixture.Create(accounts: 1);
        var engine = fixture.Engine;
        var account = EngineFixture.AccountId(0);
        fixture.Forget();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Pairs; i++)
        {
            var reserved = engine.ReserveAsync(account, 1).Result;
            engine.Commit(reserved.ReservationId, 1);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        fixture.Forget();
        var forgotten = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  Heap retained per Reserve+Commit until the idempotency window passes: {(after - before) / (double)Pairs:0} B (after forgetting: {(forgotten - before) / (double)Pairs:0} B)"));
        fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private static void Measure(string name, Func<long> batch, int samples)
    {
        for (var i = 0; i < Warmup; i++)
        {
            batch();
        }

        var perOp = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var start = ThreadCpuClock.Nanoseconds();
            batch();
            perOp[i] = (ThreadCpuClock.Nanoseconds() - start) / (double)HotPathBenchmarks.Batch;
        }

        Array.Sort(perOp);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name,-42} {perOp[samples / 2],8:0.0} ns  ({perOp[samples / 10]:0.0}-{perOp[samples * 9 / 10]:0.0})"));
    }
}
