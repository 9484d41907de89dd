using QuotaSidecar.Core.Tests.Engine;

namespace QuotaSidecar.Core.Tests.Settlement;

/// <summary>A settle pass costs what is active, not every account ever seen (docs/design.md §4).</summary>
public sealed class SettlePassScopeTests
{
    [Fact]
    public async Task Accounts_with_nothing_local_leave_the_pass_and_come_back_with_their_next_exchange()
    {
        await using var h = new EngineHarness(o => o.IdleReturnAfter = TimeSpan.FromSeconds(10));
        var ids = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var id = await h.AccountAsync(1_000);
            ids.Add(id);
            await h.Engine.ConsumeAsync(id, 1);
        }

        Assert.Equal(200, h.Engine.ListedAccounts);
        h.Time.Advance(TimeSpan.FromSeconds(11));
        await h.Engine.SettleOnceAsync(); // quiet: usage reported, leases returned
        h.Time.Advance(TimeSpan.FromMilliseconds(250));
        await h.Engine.SettleOnceAsync(); // now empty: off the list

        Assert.Equal(0, h.Engine.ListedAccounts);
        Assert.Equal(200, h.Engine.ActiveAccounts); // still known, until evicted
        await h.Engine.ConsumeAsync(ids[7], 1);
        Assert.Equal(1, h.Engine.ListedAccounts);
        await h.DrainAsync();
        Assert.Equal(2, (await h.CentralBalanceAsync(ids[7])).Consumed);
    }

    [Fact]
    public async Task Idle_accounts_off_the_list_are_still_evicted()
    {
        await using var h = new EngineHarness(o => o.EvictIdleAfter = TimeSpan.FromMinutes(1));
        var id = await h.AccountAsync(1_000);
        await h.Engine.ConsumeAsync(id, 1);
        h.Time.Advance(TimeSpan.FromSeconds(11));
        await h.Engine.SettleOnceAsync();
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await h.Engine.SettleOnceAsync();
        Assert.Equal(0, h.Engine.ListedAccounts);

        h.Time.Advance(TimeSpan.FromMinutes(1));
        await h.Engine.SettleOnceAsync();

        Assert.Equal(0, h.Engine.ActiveAccounts);
    }
}
