using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;
using QuotaSidecar.Core.Settlement;
using QuotaSidecar.Core.Tests.Engine;

namespace QuotaSidecar.Core.Tests.Settlement;

/// <summary>
/// One breaker per shard of the store (docs/design.md {#store-breaker}): a shard that fails stops only the accounts it
/// serves, on a fake clock over a real embedded ledger seen as two shards (<see cref="TwoShardLedger"/>).
/// </summary>
public sealed class ShardBreakerTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly EmbeddedLedger _central;
    private readonly TwoShardLedger _store;
    private readonly EngineOptions _options = new() { InstanceId = "test-1", ReclaimWait = TimeSpan.Zero, OutageHorizon = TimeSpan.Zero, MinLease = 10, MaxLease = 10 };
    private readonly QuotaEngine _engine;

    public ShardBreakerTests()
    {
        _central = new EmbeddedLedger(new CentralLedgerOptions(), _time);
        _store = new TwoShardLedger(_central);
        _engine = new QuotaEngine(_store, _options, _time);
    }

    [Fact]
    public async Task A_failed_shard_denies_only_its_own_accounts_and_the_pass_settles_the_others()
    {
        var (down0, up1, newcomer1) = (await AccountAsync("0"), await AccountAsync("1"), await AccountAsync("3"));
        Assert.Equal(Decision.Granted, (await _engine.ConsumeAsync(down0, 10)).Decision); // each lease of 10, spent
        Assert.Equal(Decision.Granted, (await _engine.ConsumeAsync(up1, 10)).Decision);

        _store["s0"].Down = true;
        Assert.Equal(DenyReason.StoreUnavailable, (await _engine.ConsumeAsync(down0, 5)).DenyReason);
        Assert.Equal(BreakerState.Open, _engine.StoreBreakerState);
        Assert.False(_engine.StoreAvailable);
        Assert.Equal(["shard s0"], _engine.UnavailableShards);

        // The other shard's accounts need the store and get it: one shared breaker would have refused them at once.
        Assert.Equal(Decision.Granted, (await _engine.ConsumeAsync(up1, 5)).Decision);
        Assert.Equal(Decision.Granted, (await _engine.ConsumeAsync(newcomer1, 5)).Decision);
        Assert.Equal(["shard s0"], _engine.UnavailableShards);

        // The settle pass runs for the healthy shard (reports up1's usage) while s0's accounts wait for its trial.
        var attempts0 = _store["s0"].Attempts;
        await _engine.SettleOnceAsync();
        Assert.Equal(15, (await CentralAsync(up1)).Consumed);
        Assert.Equal(attempts0, _store["s0"].Attempts); // its trial is not due yet: no call to the failed shard

        // The shard is back: its trial (a probe on s0, within the open period) closes its breaker.
        _store["s0"].Down = false;
        _time.Advance(_options.SettleInterval);
        await _engine.SettleOnceAsync();
        Assert.True(_engine.StoreAvailable, string.Join(", ", _engine.UnavailableShards));
        Assert.Equal(Decision.Granted, (await _engine.ConsumeAsync(down0, 5)).Decision);

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _engine.ShutdownAsync(bound.Token);
        Assert.Equal(15, (await CentralAsync(down0)).Consumed);
        Assert.Equal(15, (await CentralAsync(up1)).Consumed);
        Assert.Equal(5, (await CentralAsync(newcomer1)).Consumed);
    }

    [Fact]
    public async Task A_lost_connection_opens_only_the_named_shard_and_its_return_lets_the_trial_out_at_once()
    {
        var (on0, on1) = (await AccountAsync("0"), await AccountAsync("1"));
        await _engine.ConsumeAsync(on0, 10);
        await _engine.ConsumeAsync(on1, 10);

        _store.Lose("s1");
        Assert.Equal(["shard s1"], _engine.UnavailableShards);
        Assert.Equal(DenyReason.StoreUnavailable, (await _engine.ConsumeAsync(on1, 5)).DenyReason);
        Assert.Equal(Decision.Granted, (await _engine.ConsumeAsync(on0, 5)).Decision);

        _store.Restore("s1");
        Assert.Equal(Decision.Granted, (await _engine.ConsumeAsync(on1, 5)).Decision); // the trial, with no wait for the open period
        Assert.True(_engine.StoreAvailable);
    }

    public async ValueTask DisposeAsync() => await _engine.DisposeAsync();

    /// <summary>An account whose id ends in <paramref name="last"/>: its shard (even: s0, odd: s1).</summary>
    private async Task<string> AccountAsync(string last)
    {
        var id = $"acct-{Guid.NewGuid():N}-{last}";
        await _central.UpsertAccountAsync(new AccountPolicy(id, AccountStatus.Active, OverageMode.Hard, 0, 0));
        await _central.GrantAsync(new GrantSpec(id, "initial", 1_000));
        return id;
    }

    private Task<Balance> CentralAsync(string accountId) => EngineHarness.ConservedBalanceAsync(_central, accountId);
}
