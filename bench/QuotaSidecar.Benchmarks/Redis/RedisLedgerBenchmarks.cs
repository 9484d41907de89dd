using BenchmarkDotNet.Attributes;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Redis;
using StackExchange.Redis;

namespace QuotaSidecar.Benchmarks.Redis;

/// <summary>
/// The Redis ledger's exchange (one FCALL of ledger.lua's exchange function) against a local Redis: what the
/// sidecar pays when it takes a lease or settles, off the hot path. Runs only when a Redis is reachable (see <see cref="LocalRedis"/>);
/// keys live under a fresh prefix per run. A loopback FCALL round trip is ~50 µs here, so these numbers are mostly
/// the network and Redis, not the client.
/// </summary>
[MemoryDiagnoser]
public class RedisLedgerBenchmarks
{
    private const string Account = "bench-acct";
    private const string Instance = "bench-instance";
    private ConnectionMultiplexer _redis = null!;
    private RedisLedger _ledger = null!;
    private long _sequence;
    private long _leased;

    [GlobalSetup]
    public void Setup()
    {
        var endpoint = LocalRedis.Endpoint ?? throw new InvalidOperationException($"no Redis: set {LocalRedis.Variable}");
        _redis = ConnectionMultiplexer.Connect(endpoint);
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
        _ledger = new RedisLedger(_redis, new RedisLedgerOptions { KeyPrefix = prefix });
        _ledger.UpsertAccountAsync(new AccountPolicy(Account)).AsTask().GetAwaiter().GetResult();
        _ledger.GrantAsync(new GrantSpec(Account, "bench-grant", 1_000_000_000_000_000)).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ledger.Dispose();
        _redis.Dispose();
    }

    /// <summary>A lease take: give back the last lease and take a new one of 1,000 credits (the Lua script moves
    /// credits between the account's grants and this instance's lease atomically).</summary>
    [Benchmark(Description = "Lua lease take (ledger.lua exchange: return + take)")]
    public long LeaseTake()
    {
        var result = _ledger.ExchangeAsync(new LeaseExchange(Account, Instance, ++_sequence, Return: _leased, Want: 1_000, MinAcceptable: 1))
            .AsTask().GetAwaiter().GetResult();
        _leased = result.Granted;
        return result.Granted;
    }

    /// <summary>A settle: report 100 credits used from the lease and top it up by as much.</summary>
    [Benchmark(Description = "Lua settle (ledger.lua exchange: report usage + refill)")]
    public long Settle()
    {
        var used = Math.Min(100, _leased);
        var result = _ledger.ExchangeAsync(new LeaseExchange(Account, Instance, ++_sequence, Used: used, Want: 100, MinAcceptable: 1, Held: 0))
            .AsTask().GetAwaiter().GetResult();
        _leased += result.Granted - used;
        return result.Granted;
    }
}
