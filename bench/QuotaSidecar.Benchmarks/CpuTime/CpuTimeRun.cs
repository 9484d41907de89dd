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
        var tree = new AccountTreeBenchmarks();
        tree.Setup();
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
                ("Tree: Reserve+Commit, flat", tree.ReserveCommitFlat),
                ("Tree: Reserve+Commit, depth 3", tree.ReserveCommitDepth3),
                ("Tree: Consume, flat", tree.ConsumeFlat),
                ("Tree: Consume, depth 3", tree.ConsumeDepth3),
            ];
            foreach (var (name, batch) in all)
            {
                if (filter is null || name.Contains(filter, StringComparison.OrdinalIgnoreCase))
                {
                    Measure(name, batch, samples);
                }
            }

            if (filter is null || "Reserve+Commit".Contains(filter, StringComparison.OrdinalIgnoreCase))
            {
                SplitReserveCommit(samples);
                SplitReserveCommit(samples, clientIds: true);
            }

            RetainedPerHold();
            return 0;
        }
        finally
        {
            bench.Cleanup();
            tree.Cleanup();
        }
    }

    /// <summary>The Reserve+Commit pairs and the later forgetting of their records, timed apart: what the request
    /// pays (the pair) and what the settle pass pays per hold afterwards.</summary>
    private static void SplitReserveCommit(int samples, bool clientIds = false)
    {
        var fixture = EngineFixture.Create(accounts: 1);
        var ids = new string[HotPathBenchmarks.Batch];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = "client-" + i.ToString(CultureInfo.InvariantCulture);
        }

        var engine = fixture.Engine;
        var account = EngineFixture.AccountId(0);
        var pairs = new double[samples];
        var forgets = new double[samples];
        long allocated = 0;
        for (var s = -Warmup; s < samples; s++)
        {
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var start = ThreadCpuClock.Nanoseconds();
            for (var i = 0; i < HotPathBenchmarks.Batch; i++)
            {
                var reserved = engine.ReserveAsync(account, 1, clientIds ? ids[i] : null).Result;
                engine.Commit(reserved.ReservationId, 1);
            }

            var middle = ThreadCpuClock.Nanoseconds();
            if (s >= 0)
            {
                allocated += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            }

            fixture.Forget();
            var end = ThreadCpuClock.Nanoseconds();
            if (s >= 0)
            {
                pairs[s] = (middle - start) / (double)HotPathBenchmarks.Batch;
                forgets[s] = (end - middle) / (double)HotPathBenchmarks.Batch;
            }
        }

        Array.Sort(pairs);
        Array.Sort(forgets);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  Reserve+Commit{(clientIds ? " (client ids)" : "")} split: the pair {pairs[samples / 2]:0.0} ns ({pairs[samples / 10]:0.0}-{pairs[samples * 9 / 10]:0.0}), forgetting its record later {forgets[samples / 2]:0.0} ns ({forgets[samples / 10]:0.0}-{forgets[samples * 9 / 10]:0.0}); allocated by the pair {allocated / ((double)samples * HotPathBenchmarks.Batch):0.0} B (the hold object {HoldBytes(engine, account)} B and its id)"));
        fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>What one Hold object and its id string take on the heap (the hold itself, which a Reserve must make).</summary>
    private static string HoldBytes(QuotaSidecar.Core.Engine.QuotaEngine engine, string account)
    {
        var reserved = engine.ReserveAsync(account, 1).Result;
        engine.Commit(reserved.ReservationId, 1);
        var id = reserved.ReservationId.Length;
        var before = GC.GetAllocatedBytesForCurrentThread();
        _ = new QuotaSidecar.Core.Holds.Hold(reserved.ReservationId, null!, 1, 1, 1);
        var hold = GC.GetAllocatedBytesForCurrentThread() - before;
        return string.Create(CultureInfo.InvariantCulture, $"{hold}; the id of {id} characters {((20 + (2 * id)) + 7) / 8 * 8}");
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
