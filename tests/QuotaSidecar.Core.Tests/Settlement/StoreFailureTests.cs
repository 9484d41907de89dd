using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Settlement;
using QuotaSidecar.Core.Tests.Engine;
using Xunit.Abstractions;

namespace QuotaSidecar.Core.Tests.Settlement;

/// <summary>
/// A dead or slow store never stalls the hot path (docs/design.md {#store-wait}, {#store-breaker},
/// {#outage-horizon}): the wait budget, the breaker and its trial, the exchange timeout, and leases that carry an
/// outage — on a fake clock over a real embedded ledger behind a switch that stalls or fails it.
/// </summary>
public sealed class StoreFailureTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_request_waits_on_a_stalled_store_no_longer_than_the_budget_and_the_exchange_is_applied_when_it_answers()
    {
        await using var h = new EngineHarness(o => (o.MinLease, o.MaxLease) = (10, 10));
        var id = await h.AccountAsync(1_000);
        Assert.Equal(Decision.Granted, (await h.Engine.ConsumeAsync(id, 10)).Decision); // the lease of 10, spent

        h.Store.Stalled = true;
        var first = h.Engine.ConsumeAsync(id, 5).AsTask();
        await Until(() => h.Store.StalledExchanges == 1);
        h.Time.Advance(h.Options.MaxStoreWait - TimeSpan.FromMilliseconds(1));
        Assert.False(first.IsCompleted, "answered before the budget ran out, while the store had not answered");

        // A second request joins the exchange already out instead of queueing another behind it.
        var second = h.Engine.ConsumeAsync(id, 5).AsTask();
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        var answer = await first.WaitAsync(Patience);
        Assert.Equal((Decision.Denied, DenyReason.StoreUnavailable), (answer.Decision, answer.DenyReason));
        h.Time.Advance(h.Options.MaxStoreWait);
        Assert.Equal(DenyReason.StoreUnavailable, (await second.WaitAsync(Patience)).DenyReason);
        Assert.Equal(2, h.Store.Attempts); // the load, then one exchange for both requests

        // The store answers at last: the exchange started by the first request is applied, and the lease serves.
        h.Store.Stalled = false;
        await Until(() => h.Engine.Describe(id).Contains("seq= ", StringComparison.Ordinal));
        var exchanges = h.Store.Exchanges;
        Assert.Equal(Decision.Granted, (await h.Engine.ConsumeAsync(id, 5)).Decision);
        Assert.Equal(exchanges, h.Store.Exchanges);

        await h.DrainAsync();
        var central = await h.CentralBalanceAsync(id);
        Assert.Equal(15, central.Consumed);
        Assert.Equal(0, central.Leased);
    }

    [Fact]
    public async Task Past_the_budget_the_fail_open_allowance_answers_and_its_usage_is_billed_when_the_store_returns()
    {
        await using var h = new EngineHarness(o => (o.MinLease, o.MaxLease, o.FailOpenAllowance) = (10, 10, 5));
        var id = await h.AccountAsync(1_000);
        await h.Engine.ConsumeAsync(id, 10);

        h.Store.Stalled = true;
        var pending = h.Engine.ConsumeAsync(id, 5).AsTask();
        await Until(() => h.Store.StalledExchanges == 1);
        h.Time.Advance(h.Options.MaxStoreWait);
        Assert.Equal(Decision.Granted, (await pending.WaitAsync(Patience)).Decision);
        var beyond = h.Engine.ConsumeAsync(id, 1).AsTask();
        h.Time.Advance(h.Options.MaxStoreWait);
        Assert.Equal(DenyReason.StoreUnavailable, (await beyond.WaitAsync(Patience)).DenyReason); // allowance spent

        h.Store.Stalled = false;
        await h.DrainAsync();
        Assert.Equal(15, (await h.CentralBalanceAsync(id)).Consumed);
    }

    [Fact]
    public async Task An_open_breaker_answers_at_once_without_calling_the_store_and_one_trial_goes_out_per_open_period()
    {
        await using var h = new EngineHarness(o => (o.MinLease, o.MaxLease) = (10, 10));
        var id = await h.AccountAsync(1_000);
        await h.Engine.ConsumeAsync(id, 10);

        h.Store.Down = true;
        Assert.Equal(DenyReason.StoreUnavailable, (await h.Engine.ConsumeAsync(id, 5)).DenyReason);
        Assert.Equal(BreakerState.Open, h.Engine.StoreBreakerState);
        var attempts = h.Store.Attempts;
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(DenyReason.StoreUnavailable, (await h.Engine.ConsumeAsync(id, 5)).DenyReason);
        }

        Assert.Equal(attempts, h.Store.Attempts); // nothing queued behind the dead store

        // After the open period one request is the trial; it fails, and the next period is twice as long.
        h.Time.Advance(h.Options.SettleInterval);
        await h.Engine.ConsumeAsync(id, 5);
        Assert.Equal(attempts + 1, h.Store.Attempts);
        h.Time.Advance(h.Options.SettleInterval);
        await h.Engine.ConsumeAsync(id, 5);
        Assert.Equal(attempts + 1, h.Store.Attempts);
        h.Time.Advance(h.Options.SettleInterval);
        await h.Engine.ConsumeAsync(id, 5);
        Assert.Equal(attempts + 2, h.Store.Attempts);

        // The store is back: the next trial closes the breaker and the request is served.
        h.Store.Down = false;
        h.Time.Advance(Settler.MaxBackoff);
        Assert.Equal(Decision.Granted, (await h.Engine.ConsumeAsync(id, 5)).Decision);
        Assert.Equal(BreakerState.Closed, h.Engine.StoreBreakerState);
        Assert.True(h.Engine.StoreAvailable);

        await h.DrainAsync();
        Assert.Equal(15, (await h.CentralBalanceAsync(id)).Consumed);
    }

    [Fact]
    public async Task An_exchange_unanswered_within_the_exchange_timeout_opens_the_breaker_and_is_applied_exactly_once()
    {
        await using var h = new EngineHarness();
        var id = await h.AccountAsync(1_000);
        for (var i = 0; i < 7; i++)
        {
            await h.Engine.ConsumeAsync(id, 3);
        }

        h.Store.Stalled = true;
        var pass = h.Engine.SettleOnceAsync();
        await Until(() => h.Store.StalledExchanges == 1);

        // The pass runs on the thread pool: its timeout may be set just after the stall is seen, so advance until
        // the pass has given up (each step is a whole exchange timeout).
        for (var i = 0; i < 100 && !pass.IsCompleted; i++)
        {
            h.Time.Advance(h.Options.ExchangeTimeout);
            await Task.WhenAny(pass, Task.Delay(20));
        }

        await pass.WaitAsync(Patience);
        Assert.Equal(BreakerState.Open, h.Engine.StoreBreakerState);
        Assert.False(h.Engine.StoreAvailable);

        // The store wakes up and applies the report it was sent, though the sidecar stopped waiting for the answer.
        var applied = h.Store.Exchanges;
        h.Store.Stalled = false;
        await Until(() => h.Store.Exchanges == applied + 1);
        Assert.Equal(21, (await h.CentralBalanceAsync(id)).Consumed);

        // The trial finds the store back, the report is resent unchanged, and the store applies it once.
        h.Time.Advance(h.Options.SettleInterval);
        await h.Engine.SettleOnceAsync();
        Assert.True(h.Engine.StoreAvailable);
        await h.DrainAsync();
        var central = await h.CentralBalanceAsync(id);
        Assert.Equal(21, central.Consumed);
        Assert.Equal(0, central.Leased);
    }

    [Fact]
    public async Task Steady_traffic_rides_out_a_10_second_outage_within_the_outage_horizon_and_not_without_it()
    {
        var within = await DenialsDuringOutageAsync(TimeSpan.FromSeconds(20));
        var without = await DenialsDuringOutageAsync(TimeSpan.Zero);
        output.WriteLine($"denials during a 10 s outage at 400 credits/s: outage horizon 20 s: {within}; 0 s: {without}");
        Assert.Equal(0, within);
        Assert.True(without > 0, "without the horizon a 2 s lease cannot carry a 10 s outage: the scenario is not testing anything");
    }

    /// <summary>100 credits per settle interval (400/s) for 10 s to warm up, then 10 s with the store down; the
    /// denials during the outage. Every grant is billed once the store is back.</summary>
    private static async Task<int> DenialsDuringOutageAsync(TimeSpan horizon)
    {
        await using var h = new EngineHarness(o => o.OutageHorizon = horizon);
        var id = await h.AccountAsync(10_000_000);
        long granted = 0;
        var denials = 0;
        for (var pass = 0; pass < 80; pass++)
        {
            h.Store.Down = pass >= 40;
            for (var i = 0; i < 100; i++)
            {
                var answer = await h.Engine.ConsumeAsync(id, 1);
                if (answer.Decision == Decision.Granted)
                {
                    granted++;
                }
                else if (h.Store.Down)
                {
                    denials++;
                }
            }

            await h.Engine.ProcessRefillsAsync();
            h.Time.Advance(h.Options.SettleInterval);
            await h.Engine.SettleOnceAsync();
        }

        h.Store.Down = false;
        h.Time.Advance(Settler.MaxBackoff);
        await h.DrainAsync();
        Assert.Equal(granted, (await h.CentralBalanceAsync(id)).Consumed);
        return denials;
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(1);
        }
    }
}
