using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Tests.Engine;

namespace QuotaSidecar.Core.Tests.Settlement;

/// <summary>Settling with the store: usage reported, leases returned at shutdown, store changes (policy, voids) brought
/// back, probes and backoff while the store is down, exactly-once reports, on a fake clock over a real embedded ledger.</summary>
public sealed class SettlementTests : IAsyncLifetime
{
    private readonly EngineHarness _h = new();

    private QuotaEngine Engine => _h.Engine;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Policy_changes_made_elsewhere_arrive_with_the_next_settle()
    {
        var id = await _h.AccountAsync(1_000);
        await Engine.ReserveAsync(id, 10);
        await _h.Central.UpsertAccountAsync(new AccountPolicy(id, AccountStatus.Suspended));
        _h.Time.Advance(_h.Options.LeaseRenewInterval);

        await Engine.SettleOnceAsync();

        Assert.Equal(DenyReason.AccountSuspended, (await Engine.ReserveAsync(id, 1)).DenyReason);
    }

    [Fact]
    public async Task Settle_reports_usage_and_shutdown_returns_the_lease()
    {
        var id = await _h.AccountAsync(1_000);
        for (var i = 0; i < 5; i++)
        {
            await Engine.ConsumeAsync(id, 2);
        }

        await Engine.SettleOnceAsync();
        var afterSettle = await _h.CentralBalanceAsync(id);
        await _h.DrainAsync();
        var afterShutdown = await _h.CentralBalanceAsync(id);

        Assert.Equal(10, afterSettle.Consumed);
        Assert.True(afterSettle.Leased > 0);
        Assert.Equal(0, afterShutdown.Leased);
        Assert.Equal(990, afterShutdown.Available);
    }

    [Fact]
    public async Task Shutdown_releases_open_holds()
    {
        var id = await _h.AccountAsync(1_000);
        await Engine.ReserveAsync(id, 10);

        await _h.DrainAsync();

        Assert.Equal(0, Engine.OpenHolds);
        var b = await _h.CentralBalanceAsync(id);
        Assert.Equal(1_000, b.Available);
    }

    [Fact]
    public async Task A_settle_pass_records_its_duration_and_the_accounts_it_exchanged()
    {
        var durations = new List<double>();
        long exchanged = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == _h.Metrics.Meter && instrument.Name is "quota.settle.duration" or "quota.settle.exchanges")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => durations.Add(value));
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => exchanged += value);
        listener.Start();
        var a = await _h.AccountAsync(1_000);
        var b = await _h.AccountAsync(1_000);
        await Engine.ConsumeAsync(a, 1);
        await Engine.ConsumeAsync(b, 1);

        await Engine.SettleOnceAsync(); // reports both accounts' usage
        await Engine.SettleOnceAsync(); // nothing due: no pass recorded

        Assert.Single(durations);
        Assert.True(durations[0] >= 0);
        Assert.Equal(2, exchanged);
    }

    [Fact]
    public async Task A_sidecar_with_nothing_to_settle_probes_the_store_so_its_availability_follows_the_store()
    {
        // Only exchanges used to update availability: a sidecar without accounts would have stayed "unavailable"
        // (and unready, so without traffic to exchange) after the store came back.
        _h.Store.Down = true;
        await Engine.SettleOnceAsync(); // the first pass probes: the store is down
        Assert.False(Engine.StoreAvailable);

        _h.Store.Down = false;
        await Engine.SettleOnceAsync(); // within the backoff: no probe yet
        Assert.False(Engine.StoreAvailable);
        _h.Time.Advance(TimeSpan.FromSeconds(5));
        await Engine.SettleOnceAsync();

        Assert.True(Engine.StoreAvailable);
    }

    [Fact]
    public async Task Reports_queued_while_the_store_is_down_apply_exactly_once_when_it_returns()
    {
        var id = await _h.AccountAsync(1_000);
        await Engine.ConsumeAsync(id, 1);
        await Engine.ConsumeAsync(id, 9);
        _h.Store.LoseResponses = true; // the first report is written but its answer is lost
        await Engine.SettleOnceAsync();
        _h.Store.LoseResponses = false;
        _h.Store.Down = true;
        await Engine.ConsumeAsync(id, 5);
        await Engine.SettleOnceAsync();

        _h.Store.Down = false;
        await Engine.SettleOnceAsync();
        await _h.DrainAsync();

        var b = await _h.CentralBalanceAsync(id);
        Assert.Equal(15, b.Consumed);
        Assert.Equal(0, b.Leased);
    }

    [Fact]
    public async Task Settle_backs_off_while_the_store_is_down_and_resumes_when_it_returns()
    {
        var id = await _h.AccountAsync(1_000);
        await Engine.ConsumeAsync(id, 1);
        _h.Store.Down = true;
        await Engine.SettleOnceAsync(); // fails: backoff of one interval starts
        var attempts = _h.Store.Attempts;
        Assert.True(attempts > 0);

        await Engine.SettleOnceAsync(); // within the backoff: no call
        Assert.Equal(attempts, _h.Store.Attempts);

        _h.Store.Down = false;
        _h.Time.Advance(_h.Options.SettleInterval);
        await Engine.SettleOnceAsync();
        Assert.True(Engine.StoreAvailable);
        Assert.Equal(1, (await _h.CentralBalanceAsync(id)).Consumed);
    }

    [Fact]
    public async Task A_void_reaches_the_lease_at_the_next_settle()
    {
        var id = await _h.AccountAsync(1_000);
        await Engine.ConsumeAsync(id, 1);
        await _h.Central.VoidGrantAsync(id, "initial");

        await Engine.SettleOnceAsync();

        var r = await Engine.ReserveAsync(id, 1);
        Assert.Equal(DenyReason.InsufficientCredits, r.DenyReason);
        await _h.DrainAsync();
        var b = await _h.CentralBalanceAsync(id);
        Assert.Equal(1, b.Consumed);
        Assert.Equal(999, b.Voided);
    }
}
