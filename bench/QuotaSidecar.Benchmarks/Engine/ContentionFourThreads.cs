using BenchmarkDotNet.Attributes;

namespace QuotaSidecar.Benchmarks.Engine;

/// <summary>Four threads: more threads than cores on the 2-vCPU machine, so time slicing shows.</summary>
public class ContentionFourThreads() : ContentionBenchmarks(4)
{
    [Benchmark(OperationsPerInvoke = PerThread * 4, Description = "Reserve+Commit, 4 threads")]
    public void ReserveCommit() => RunBatch();
}
