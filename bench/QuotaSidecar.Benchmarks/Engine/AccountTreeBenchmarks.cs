using BenchmarkDotNet.Attributes;
using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Benchmarks.Engine;

/// <summary>
/// The cost of a tree (docs/design.md#path-holds): the hot-path pair and Consume on a flat account (the baseline) and
/// on the leaf of a depth-3 path (key → team → org), where each call takes three gates and charges three leases. The
/// issue's bar: the depth-3 pair within 3x the flat one. One thread, batches as in <see cref="HotPathBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class AccountTreeBenchmarks
{
    private const int Batch = HotPathBenchmarks.Batch;

    private static readonly string Flat = EngineFixture.AccountId(0);
    private EngineFixture _fixture = null!;
    private QuotaEngine _engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        _fixture = EngineFixture.Create(accounts: 1);
        _engine = _fixture.Engine;
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "Reserve+Commit, flat")]
    public long ReserveCommitFlat() => ReserveCommit(Flat);

    [Benchmark(OperationsPerInvoke = Batch, Description = "Reserve+Commit, depth 3")]
    public long ReserveCommitDepth3() => ReserveCommit(EngineFixture.TreeKey);

    [Benchmark(OperationsPerInvoke = Batch, Description = "Consume, flat")]
    public long ConsumeFlat() => Consume(Flat);

    [Benchmark(OperationsPerInvoke = Batch, Description = "Consume, depth 3")]
    public long ConsumeDepth3() => Consume(EngineFixture.TreeKey);

    private long ReserveCommit(string account)
    {
        long sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            var reserved = _engine.ReserveAsync(account, 1).Result;
            sum += _engine.Commit(reserved.ReservationId, 1).Committed;
        }

        _fixture.Forget();
        return sum;
    }

    private long Consume(string account)
    {
        long sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += _engine.ConsumeAsync(account, 1).Result.BalanceHint;
        }

        _fixture.Forget();
        return sum;
    }
}
