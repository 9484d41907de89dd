using BenchmarkDotNet.Attributes;

namespace QuotaSidecar.Benchmarks.Engine;

/// <summary>Two threads (one per core here).</summary>
public class ContentionTwoThreads() : ContentionBenchmarks(2)
{
    [Benchmark(OperationsPerInvoke = PerThread * 2, Description = "Reserve+Commit, 2 threads")]
    public void ReserveCommit() => RunBatch();
}
