using BenchmarkDotNet.Attributes;
using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Benchmarks.Engine;

/// <summary>
/// Reserve+Commit pairs from 2 and 4 threads at once, all on one account (they share its lock) or each on its own
/// account. The time per operation is wall time over all threads' operations: the inverse of throughput, so
/// perfect scaling on 2 cores halves it. The threads are started once and released together by a barrier.
/// </summary>
[MemoryDiagnoser]
public abstract class ContentionBenchmarks(int threads)
{
    /// <summary>Pairs per thread per invocation.</summary>
    public const int PerThread = 4096;

    private EngineFixture _fixture = null!;
    private Thread[] _threads = null!;
    private Barrier _barrier = null!;
    private volatile bool _stopping;

    public int Threads { get; } = threads;

    [Params(AccountSharing.OneAccount, AccountSharing.AccountPerThread)]
    public AccountSharing Sharing { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fixture = EngineFixture.Create(accounts: Threads);
        _barrier = new Barrier(Threads + 1);
        _threads = new Thread[Threads];
        for (var t = 0; t < Threads; t++)
        {
            var account = EngineFixture.AccountId(Sharing == AccountSharing.OneAccount ? 0 : t);
            _threads[t] = new Thread(() => Work(account)) { IsBackground = true, Name = $"bench-worker-{t}" };
            _threads[t].Start();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stopping = true;
        _barrier.SignalAndWait();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _barrier.Dispose();
        _fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Releases the workers for one batch each, waits for all, then lets the engine forget the batch.</summary>
    protected void RunBatch()
    {
        _barrier.SignalAndWait(); // start
        _barrier.SignalAndWait(); // all done
        _fixture.Forget();
    }

    private void Work(string account)
    {
        var engine = _fixture.Engine;
        while (true)
        {
            _barrier.SignalAndWait();
            if (_stopping)
            {
                return;
            }

            for (var i = 0; i < PerThread; i++)
            {
                var reserved = engine.ReserveAsync(account, 1).Result;
                engine.Commit(reserved.ReservationId, 1);
            }

            _barrier.SignalAndWait();
        }
    }
}
