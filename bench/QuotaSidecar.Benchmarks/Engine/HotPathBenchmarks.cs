using System.Globalization;
using BenchmarkDotNet.Attributes;
using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Benchmarks.Engine;

/// <summary>
/// One thread on one leased account: the calls the gRPC handlers make, each answered from the local lease.
/// Each benchmark runs a batch of <see cref="Batch"/> operations and then lets the engine forget the batch's
/// idempotency records (see <see cref="EngineFixture"/>), so numbers are per operation, amortized over the batch.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    /// <summary>Operations per invocation; large enough that the once-per-batch settle pass costs &lt; 0.1 ns per op.</summary>
    public const int Batch = 4096;

    private static readonly string Account = EngineFixture.AccountId(0);
    private EngineFixture _fixture = null!;
    private QuotaEngine _engine = null!;
    private string[] _clientIds = null!;

    [GlobalSetup]
    public void Setup()
    {
        _fixture = EngineFixture.Create(accounts: 1);
        _engine = _fixture.Engine;
        // Client-chosen reservation ids, made once: after Forget the same ids are new again.
        _clientIds = new string[Batch];
        for (var i = 0; i < Batch; i++)
        {
            _clientIds[i] = "client-" + i.ToString("x", CultureInfo.InvariantCulture);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Reserve (the sidecar makes the reservation id) then Commit of the same amount: the common pair.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "Reserve+Commit (sidecar-made id)")]
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

    /// <summary>The same pair with a client-chosen id: the id string is the caller's, so what is left is the engine's own.</summary>
    [Benchmark(OperationsPerInvoke = Batch, Description = "Reserve+Commit (client id)")]
    public long ReserveCommitClientId()
    {
        long sum = 0;
        var ids = _clientIds;
        for (var i = 0; i < ids.Length; i++)
        {
            var reserved = _engine.ReserveAsync(Account, 1, ids[i]).Result;
            sum += _engine.Commit(reserved.ReservationId, 1).Committed;
        }

        _fixture.Forget();
        return sum;
    }

    /// <summary>Consume without a request id: no hold record at all.</summary>
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

    /// <summary>A Reserve denied locally: the account is suspended (the cached policy answers).</summary>
    [Benchmark(OperationsPerInvoke = Batch, Description = "Reserve denied (suspended, local)")]
    public long ReserveDeniedSuspended()
    {
        long sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += (long)_engine.ReserveAsync(EngineFixture.SuspendedAccount, 1).Result.DenyReason;
        }

        _fixture.Forget();
        return sum;
    }

    /// <summary>A Reserve denied for lack of credits: the lease cannot cover it, so the engine asks the store (here
    /// the in-process embedded ledger) before it denies. With Redis that is a round trip per denial.</summary>
    [Benchmark(OperationsPerInvoke = Batch, Description = "Reserve denied (no credits, asks store)")]
    public long ReserveDeniedNoCredits()
    {
        long sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += (long)_engine.ReserveAsync(EngineFixture.EmptyAccount, 1).Result.DenyReason;
        }

        _fixture.Forget();
        return sum;
    }

    /// <summary>This sidecar's cached view of the account (not consistent: no store call).</summary>
    [Benchmark(OperationsPerInvoke = Batch, Description = "GetBalance")]
    public long GetBalance()
    {
        long sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += _engine.GetBalanceAsync(Account).Result.Spendable;
        }

        _fixture.Forget();
        return sum;
    }
}
