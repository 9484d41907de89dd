using System.Diagnostics.Metrics;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Tests.Engine;

namespace QuotaSidecar.Core.Tests.Settlement;

/// <summary>
/// A central store that goes back in time (docs/design.md#store-rollback), on a fake clock over a real embedded ledger
/// restored from a backup of itself: the engine detects it at its next exchange, has the lost usage charged again once,
/// adopts the lease the store records, and after a drain every granted credit is consumed exactly once.
/// </summary>
public sealed class StoreRollbackTests : IAsyncLifetime
{
    // Eviction after 20 s, so the test without a rollback can forget the account a few times.
    private readonly EngineHarness _h = new(o => o.EvictIdleAfter = TimeSpan.FromSeconds(20));
    private readonly MeterListener _listener = new();
    private long _rollbacks;
    private long _restored;

    private QuotaEngine Engine => _h.Engine;

    public Task InitializeAsync()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == _h.Metrics.Meter && instrument.Name is "quota.store.rollbacks" or "quota.store.rollback.restored")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "quota.store.rollbacks")
            {
                Interlocked.Add(ref _rollbacks, value);
            }
            else
            {
                Interlocked.Add(ref _restored, value);
            }
        });
        _listener.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        await _h.DisposeAsync();
    }

    [Fact]
    public async Task Usage_and_takes_lost_by_the_store_are_resynchronised_with_holds_open_across_it()
    {
        var id = await _h.AccountAsync(1_000_000);
        long granted = 0;
        granted += await ConsumeAsync(id, 60);
        var early = await Engine.ReserveAsync(id, 30);
        Assert.Equal(Decision.Granted, early.Decision);
        await SettleAsync();
        var backup = _h.Central.Backup();
        var atBackup = await _h.CentralBalanceAsync(id);

        // Writes the store will lose: usage reports, refills as the rate grows, a hold taken from a refilled lease.
        for (var round = 0; round < 6; round++)
        {
            granted += await ConsumeAsync(id, 80);
            await SettleAsync();
        }

        var late = await Engine.ReserveAsync(id, 50);
        Assert.Equal(Decision.Granted, late.Decision);
        await SettleAsync();
        var beforeRollback = await _h.CentralBalanceAsync(id);
        var lost = beforeRollback.Consumed - atBackup.Consumed;
        Assert.True(lost >= 400, $"the store acknowledged {lost} credits of usage after the backup");
        Assert.True(beforeRollback.Leased > atBackup.Leased, $"a refill after the backup: leased {atBackup.Leased} -> {beforeRollback.Leased}");

        _h.Central.Restore(backup);
        granted += await ConsumeAsync(id, 5);
        await SettleAsync();

        Assert.Equal(1, Interlocked.Read(ref _rollbacks));
        Assert.Equal(lost, Interlocked.Read(ref _restored));
        var after = await _h.CentralBalanceAsync(id);
        Assert.Equal(atBackup.Consumed + lost + 5, after.Consumed);
        var view = await Engine.GetBalanceAsync(id);
        // Free credits only out of what the store leases beyond the two holds' 80 (here the lost usage ate the lease).
        var free = view.Spendable - after.Available;
        Assert.True(free <= Math.Max(0, after.Leased - 80), $"free {free} must come out of what the store leases, {after.Leased}, beyond the holds: {Engine.Describe(id)}");

        // The holds are still valid; what the store no longer backs is charged to central credits.
        Engine.Commit(early.ReservationId, 30);
        Engine.Commit(late.ReservationId, 45);
        granted += 75;
        granted += await ConsumeAsync(id, 40);
        await SettleAsync();
        await _h.DrainAsync();

        var final = await _h.CentralBalanceAsync(id);
        Assert.Equal(granted, final.Consumed);
        Assert.Equal(0, final.Leased);
        Assert.Equal(1_000_000 - granted, final.Available);
        Assert.Equal(1, Interlocked.Read(ref _rollbacks)); // detected once, then in step again
    }

    [Fact]
    public async Task A_return_lost_by_the_store_is_adopted_back_so_no_credit_is_left_stranded()
    {
        var id = await _h.AccountAsync(1_000_000);
        long granted = await ConsumeAsync(id, 100);
        await SettleAsync();
        var backup = _h.Central.Backup();
        var leasedAtBackup = (await _h.CentralBalanceAsync(id)).Leased;
        Assert.True(leasedAtBackup > 0);

        // The account goes quiet: its lease is returned, then the store loses that return.
        _h.Time.Advance(_h.Options.IdleReturnAfter);
        await SettleAsync();
        Assert.Equal(0, (await _h.CentralBalanceAsync(id)).Leased);
        _h.Central.Restore(backup);
        Assert.Equal(leasedAtBackup, (await _h.CentralBalanceAsync(id)).Leased);

        granted += await ConsumeAsync(id, 1);

        Assert.Equal(1, Interlocked.Read(ref _rollbacks));
        Assert.Equal(0, Interlocked.Read(ref _restored));
        var view = await Engine.GetBalanceAsync(id);
        var after = await _h.CentralBalanceAsync(id);
        Assert.Equal(after.Leased - 1, view.Spendable - after.Available); // what the store leases it, less the 1 unreported
        await _h.DrainAsync();
        var final = await _h.CentralBalanceAsync(id);
        Assert.Equal(0, final.Leased);
        Assert.Equal(granted, final.Consumed);
    }

    [Fact]
    public async Task A_rollback_whose_answer_is_lost_is_still_resynchronised_once()
    {
        var id = await _h.AccountAsync(1_000_000);
        long granted = await ConsumeAsync(id, 20);
        await SettleAsync();
        var backup = _h.Central.Backup();
        granted += await ConsumeAsync(id, 30);
        await SettleAsync();
        _h.Central.Restore(backup);

        granted += await ConsumeAsync(id, 1);
        _h.Store.LoseResponses = true; // the resynchronising exchange is applied, its answer lost: resent as it was
        await SettleAsync();
        _h.Store.LoseResponses = false;
        await SettleAsync();
        await _h.DrainAsync();

        Assert.Equal(1, Interlocked.Read(ref _rollbacks));
        Assert.Equal(30, Interlocked.Read(ref _restored));
        var final = await _h.CentralBalanceAsync(id);
        Assert.Equal(granted, final.Consumed);
        Assert.Equal(0, final.Leased);
    }

    [Fact]
    public async Task Without_a_rollback_nothing_is_detected_across_evictions_and_idle_returns()
    {
        var id = await _h.AccountAsync(1_000_000);
        long granted = 0;
        for (var round = 0; round < 4; round++)
        {
            granted += await ConsumeAsync(id, 50);
            await SettleAsync();
            _h.Time.Advance(_h.Options.IdleReturnAfter);
            await SettleAsync(); // returns the idle lease
            _h.Time.Advance(TimeSpan.FromSeconds(20));
            await SettleAsync(); // forgets the account: the next use starts from nothing acknowledged
        }

        await _h.DrainAsync();
        Assert.Equal(0, Interlocked.Read(ref _rollbacks));
        Assert.Equal(granted, (await _h.CentralBalanceAsync(id)).Consumed);
    }

    private async Task<long> ConsumeAsync(string id, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var r = await Engine.ConsumeAsync(id, 1);
            Assert.Equal(Decision.Granted, r.Decision);
        }

        return count;
    }

    private async Task SettleAsync()
    {
        _h.Time.Advance(_h.Options.SettleInterval);
        await Engine.SettleOnceAsync();
        await Engine.ProcessRefillsAsync();
    }
}
