using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Tests.Engine;

namespace QuotaSidecar.Core.Tests.Leases;

/// <summary>The local lease: served without the store, refilled when low, returned when idle, spent while the store is
/// down (and fail-open beyond it), and idle accounts forgotten, on a fake clock over a real embedded ledger.</summary>
public sealed class LeaseTests : IAsyncLifetime
{
    private readonly EngineHarness _h = new();

    private QuotaEngine Engine => _h.Engine;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Second_reserve_is_served_from_the_lease_without_the_store()
    {
        var id = await _h.AccountAsync(1_000);
        await Engine.ReserveAsync(id, 10);
        var exchanges = _h.Store.Exchanges;

        var task = Engine.ReserveAsync(id, 10);

        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(Decision.Granted, (await task).Decision);
        Assert.Equal(exchanges, _h.Store.Exchanges);
    }

    [Fact]
    public async Task Idle_credits_are_returned_after_the_idle_time()
    {
        var id = await _h.AccountAsync(1_000);
        await Engine.ConsumeAsync(id, 1);
        await Engine.SettleOnceAsync();
        Assert.True((await _h.CentralBalanceAsync(id)).Leased > 0);

        _h.Time.Advance(_h.Options.IdleReturnAfter);
        await Engine.SettleOnceAsync();

        Assert.Equal(0, (await _h.CentralBalanceAsync(id)).Leased);
    }

    [Fact]
    public async Task A_returned_idle_lease_is_not_taken_again_while_the_account_stays_idle()
    {
        // Found at 100,000 accounts: the usage rate (a moving average) was still above zero for a few passes after
        // the idle return, so the next pass refilled the lease and the one after returned it again, several round
        // trips per idle account that swamped the store.
        var id = await _h.AccountAsync(1_000);
        await Engine.ConsumeAsync(id, 1);
        await Engine.SettleOnceAsync();
        _h.Time.Advance(_h.Options.IdleReturnAfter);
        await Engine.SettleOnceAsync();
        var exchanges = _h.Store.Exchanges;

        for (var pass = 0; pass < 40; pass++)
        {
            _h.Time.Advance(_h.Options.SettleInterval);
            await Engine.SettleOnceAsync();
        }

        Assert.Equal(exchanges, _h.Store.Exchanges);
        Assert.Equal(0, (await _h.CentralBalanceAsync(id)).Leased);
    }

    [Fact]
    public async Task Low_lease_is_refilled_in_the_background()
    {
        var id = await _h.AccountAsync(10_000);
        await Engine.ConsumeAsync(id, 1);
        var lease = (await _h.CentralBalanceAsync(id)).Leased;

        await Engine.ConsumeAsync(id, 60); // below the low watermark (half the 100 target)
        var exchanges = _h.Store.Exchanges;
        await Engine.ProcessRefillsAsync();

        Assert.Equal(exchanges + 1, _h.Store.Exchanges);
        Assert.True((await _h.CentralBalanceAsync(id)).Leased >= lease);
        Assert.True((await Engine.GetBalanceAsync(id)).Spendable > 0);
    }

    [Fact]
    public async Task Store_down_serves_from_the_lease_and_denies_beyond_it()
    {
        var id = await _h.AccountAsync(1_000);
        await Engine.ConsumeAsync(id, 1); // takes a lease of 100
        _h.Store.Down = true;

        var covered = await Engine.ConsumeAsync(id, 50);
        var beyond = await Engine.ReserveAsync(id, 500);

        Assert.Equal(Decision.Granted, covered.Decision);
        Assert.Equal(DenyReason.StoreUnavailable, beyond.DenyReason);
        Assert.False(Engine.StoreAvailable);
    }

    [Fact]
    public async Task Fail_open_grants_up_to_the_allowance_while_the_store_is_down()
    {
        await using var h = new EngineHarness(o => o.FailOpenAllowance = 20);
        var id = await h.AccountAsync(1_000);
        await h.Engine.ConsumeAsync(id, 1);
        h.Store.Down = true;

        var open = await h.Engine.ReserveAsync(id, 500);
        Assert.Equal(DenyReason.StoreUnavailable, open.DenyReason);
        var within = await h.Engine.ReserveAsync(id, 15);
        h.Engine.Commit(within.ReservationId, 15);

        h.Store.Down = false;
        await h.DrainAsync();
        Assert.Equal(Decision.Granted, within.Decision);
        Assert.Equal(16, (await h.CentralBalanceAsync(id)).Consumed);
    }

    [Fact]
    public async Task Idle_accounts_are_forgotten_after_returning_their_credits_and_come_back_on_use()
    {
        await using var h = new EngineHarness(o => o.EvictIdleAfter = TimeSpan.FromMinutes(1));
        var id = await h.AccountAsync(1_000);
        await h.Engine.ConsumeAsync(id, 1);
        Assert.Equal(1, h.Engine.ActiveAccounts);

        h.Time.Advance(h.Options.IdleReturnAfter);
        await h.Engine.SettleOnceAsync(); // returns the idle lease
        h.Time.Advance(TimeSpan.FromMinutes(1));
        await h.Engine.SettleOnceAsync(); // nothing local left: forgotten

        Assert.Equal(0, h.Engine.ActiveAccounts);
        Assert.Equal(0, (await h.CentralBalanceAsync(id)).Leased);
        Assert.Equal(Decision.Granted, (await h.Engine.ConsumeAsync(id, 1)).Decision);
        Assert.Equal(1, h.Engine.ActiveAccounts);
    }

    [Fact]
    public async Task Accounts_with_open_holds_are_never_forgotten()
    {
        await using var h = new EngineHarness(o => o.EvictIdleAfter = TimeSpan.FromSeconds(30));
        var id = await h.AccountAsync(1_000);
        var hold = await h.Engine.ReserveAsync(id, 10, ttl: TimeSpan.FromMinutes(30));

        for (var i = 0; i < 10; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(20));
            await h.Engine.SettleOnceAsync();
        }

        Assert.Equal(1, h.Engine.ActiveAccounts);
        Assert.Equal(10, h.Engine.Commit(hold.ReservationId, 10).Committed);
    }
}
