using BenchmarkDotNet.Attributes;
using QuotaSidecar.Benchmarks.Engine;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Benchmarks.Usage;

/// <summary>
/// The cost of usage labels (docs/design.md#usage-labels), side by side with the same pair without labels: the
/// one-thread Reserve+Commit and Consume of <see cref="HotPathBenchmarks"/>. "labelled" passes a canonical set made
/// once (the engine's part: the hold's labels, the per-account map); "labelled, from the request" also validates and
/// canonicalizes a two-label map per request, as the gRPC handler does. Each batch's settle pass carries the label
/// usage to the embedded ledger, so the per-exchange part is amortized in.
/// </summary>
[MemoryDiagnoser]
public class UsageLabelBenchmarks
{
    private const int Batch = HotPathBenchmarks.Batch;
    private static readonly string Account = EngineFixture.AccountId(0);
    private static readonly KeyValuePair<string, string>[] RequestLabels = [new("model", "large"), new("feature", "chat")];
    private readonly string _labelSet = UsageLabels.Canonical(RequestLabels, "labels")!;
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

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "Reserve+Commit, no labels")]
    public long ReserveCommit()
    {
        long sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            var reserved = _engine.ReserveAsync(Account, 1).Result;
            sum += _engine.Commit(reserved.ReservationId, 1).Committed;
        }

        _fixture.Forget();
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Reserve+Commit, labelled")]
    public long ReserveCommitLabelled()
    {
        long sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            var reserved = _engine.ReserveAsync(Account, 1).Result;
            _engine.LabelHold(reserved.ReservationId, _labelSet);
            sum += _engine.Commit(reserved.ReservationId, 1).Committed;
        }

        _fixture.Forget();
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Reserve+Commit, labelled, from the request")]
    public long ReserveCommitLabelledFromRequest()
    {
        long sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            var reserved = _engine.ReserveAsync(Account, 1).Result;
            _engine.LabelHold(reserved.ReservationId, UsageLabels.Canonical(RequestLabels, "labels")!);
            sum += _engine.Commit(reserved.ReservationId, 1).Committed;
        }

        _fixture.Forget();
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Consume, no labels")]
    public long Consume()
    {
        long sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += _engine.ConsumeAsync(Account, 1).Result.BalanceHint;
        }

        _fixture.Forget();
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "Consume, labelled")]
    public long ConsumeLabelled()
    {
        long sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += _engine.ConsumeAsync(Account, 1, null, _labelSet).Result.BalanceHint;
        }

        _fixture.Forget();
        return sum;
    }
}
