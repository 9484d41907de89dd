using BenchmarkDotNet.Attributes;
using QuotaSidecar.Benchmarks.Engine;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Journal;

namespace QuotaSidecar.Benchmarks.Journal;

/// <summary>
/// The hot path with and without the usage journal, side by side in one run (issue 15: the journal adds at most
/// 1 µs CPU per Commit): the same one-thread Reserve+Commit and Consume as <see cref="HotPathBenchmarks"/>, with no
/// journal and with each fsync mode. The journal directory is <c>QUOTA_BENCH_JOURNAL_DIR</c> (default: the temp
/// directory), so a run can put it on the disk a deployment would use. The settle pass of each batch acknowledges
/// the batch's usage, so segments are trimmed as in production.
/// </summary>
[MemoryDiagnoser]
public class JournalBenchmarks
{
    private const int Batch = HotPathBenchmarks.Batch;
    private static readonly string Account = EngineFixture.AccountId(0);
    private EngineFixture _fixture = null!;
    private QuotaEngine _engine = null!;
    private string? _directory;

    /// <summary>Off: no journal; otherwise the journal's <see cref="JournalFsync"/> mode.</summary>
    [Params("off", "never", "interval", "always")]
    public string Journal { get; set; } = "off";

    [GlobalSetup]
    public void Setup()
    {
        UsageJournalOptions? options = null;
        if (Journal != "off")
        {
            _directory = Path.Combine(Environment.GetEnvironmentVariable("QUOTA_BENCH_JOURNAL_DIR") ?? Path.GetTempPath(), "quota-bench-journal-" + Guid.NewGuid().ToString("N"));
            options = new UsageJournalOptions
            {
                Directory = _directory,
                Fsync = Enum.Parse<JournalFsync>(Journal, ignoreCase: true),
            };
        }

        _fixture = EngineFixture.Create(accounts: 1, options);
        _engine = _fixture.Engine;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Reserve then Commit (one usage record per pair).</summary>
    [Benchmark(OperationsPerInvoke = Batch, Description = "Reserve+Commit")]
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

    /// <summary>Consume (one usage record each).</summary>
    [Benchmark(OperationsPerInvoke = Batch, Description = "Consume")]
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
}
