using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Tests.MultiSidecar;

/// <summary>Several engines (one per simulated sidecar, each with its own RedisLedger) on one account in one Redis,
/// with their background loops running on the real clock. In-process engines, not sidecar processes: these tests read
/// engine internals (UnreportedUsage, Describe) and stop one engine's loops as a crash.</summary>
internal sealed class EngineRig : IAsyncDisposable
{
    private readonly List<(QuotaEngine Engine, RedisLedger Ledger, CancellationTokenSource Stop, Task Loop)> _members = [];

    private EngineRig(IConnectionMultiplexer redis, RedisLedgerOptions options, string accountId)
    {
        Redis = redis;
        Options = options;
        AccountId = accountId;
        Admin = new RedisLedger(redis, options, TimeProvider.System);
    }

    public IConnectionMultiplexer Redis { get; }

    public RedisLedgerOptions Options { get; }

    public string AccountId { get; }

    /// <summary>A ledger that belongs to no sidecar, for the central view.</summary>
    public RedisLedger Admin { get; }

    public IReadOnlyList<QuotaEngine> Engines => _members.Select(m => m.Engine).ToList();

    public IReadOnlyList<RedisLedger> Ledgers => _members.Select(m => m.Ledger).ToList();

    public static async Task<EngineRig> CreateAsync(IConnectionMultiplexer redis, string keyPrefix, long credits, CentralLedgerOptions? central = null)
    {
        var options = new RedisLedgerOptions { KeyPrefix = keyPrefix, Central = central ?? new CentralLedgerOptions() };
        var rig = new EngineRig(redis, options, $"acct-{Guid.NewGuid():N}");
        await rig.Admin.UpsertAccountAsync(new AccountPolicy(rig.AccountId)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await rig.Admin.GrantAsync(new GrantSpec(rig.AccountId, "purchase-1", credits)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return rig;
    }

    /// <summary>Adds a sidecar whose settle loop and refill worker run until <see cref="Crash"/> or disposal.</summary>
    public QuotaEngine Start(EngineOptions options)
    {
        var ledger = new RedisLedger(Redis, Options, TimeProvider.System);
        var engine = new QuotaEngine(ledger, options);
        var stop = new CancellationTokenSource();
        var loop = Task.Run(() => engine.RunAsync(stop.Token));
        _members.Add((engine, ledger, stop, loop));
        return engine;
    }

    public RedisLedger LedgerOf(QuotaEngine engine) => _members.Single(m => m.Engine == engine).Ledger;

    /// <summary>Stops the background loops of one engine without settling: a crash as far as the store can tell.</summary>
    public async Task CrashAsync(QuotaEngine engine)
    {
        var member = _members.Single(m => m.Engine == engine);
        await member.Stop.CancelAsync();
        await member.Loop.WaitAsync(TimeSpan.FromSeconds(10));
        _members.Remove(member);
    }

    /// <summary>Graceful shutdown of every engine still running: loops stopped, holds released, usage reported, leases returned.</summary>
    public async Task ShutdownAllAsync(TimeSpan grace)
    {
        foreach (var (engine, _, stop, loop) in _members)
        {
            await stop.CancelAsync();
            await loop.WaitAsync(TimeSpan.FromSeconds(10));
            using var cts = new CancellationTokenSource(grace);
            await engine.ShutdownAsync(cts.Token).WaitAsync(grace + TimeSpan.FromSeconds(5));
        }

        _members.Clear();
    }

    public async Task<Balance> CentralAsync() =>
        (await Admin.GetAccountAsync(AccountId).AsTask().WaitAsync(TimeSpan.FromSeconds(10)))!.Balance;

    public async ValueTask DisposeAsync()
    {
        foreach (var (engine, _, stop, loop) in _members)
        {
            await stop.CancelAsync();
            try
            {
                await loop.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
            }

            await engine.DisposeAsync();
        }

        _members.Clear();
    }
}
