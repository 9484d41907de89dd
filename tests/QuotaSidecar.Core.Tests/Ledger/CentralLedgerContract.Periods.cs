using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Tests.Ledger;

/// <summary>Hourly and minute periods (docs/design.md#recurrence) and a recurring grant's credits on leases at a period
/// boundary (docs/design.md#lease-expiry): spendable in their own period only.</summary>
public abstract partial class CentralLedgerContract
{
    // An anchor with seconds and milliseconds: boundaries follow it, not the clock's round minutes.
    private static readonly DateTimeOffset Anchor = Start.AddSeconds(17.25);

    [Theory]
    [InlineData(RecurrencePeriod.Minute, 60)]
    [InlineData(RecurrencePeriod.Hourly, 3_600)]
    public async Task Minute_and_hourly_allowances_renew_at_each_boundary_of_their_anchor(RecurrencePeriod period, int seconds)
    {
        var id = await NewAccountAsync();
        var length = TimeSpan.FromSeconds(seconds);
        await Ledger.GrantAsync(new GrantSpec(id, "cap", 200, EffectiveAt: Anchor, Recurrence: new Recurrence(period, 0)));

        Time.Advance(Anchor + length - TimeSpan.FromMilliseconds(1) - Time.GetUtcNow());
        await AssertBalance(id, available: 200, granted: 200);
        Time.Advance(TimeSpan.FromMilliseconds(1)); // the boundary itself starts the next period
        await AssertBalance(id, available: 200, expired: 200, granted: 400);

        // 1,000 periods unseen are applied once each (as one step: the grant is in its steady state).
        Time.Advance(1_000 * length);
        await AssertBalance(id, available: 200, expired: 200_200, granted: 200_400);
        var grant = Assert.Single(await Ledger.ListGrantsAsync(id, includeInactive: false));
        Assert.Equal(1_001, grant.PeriodIndex);
    }

    [Theory]
    [InlineData(RecurrencePeriod.Minute, 45, 60)]
    [InlineData(RecurrencePeriod.Hourly, 3_590, 3_600)]
    public async Task A_lease_of_recurring_credits_ends_at_the_next_boundary(RecurrencePeriod period, int takeAt, int boundary)
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "cap", 200, EffectiveAt: Anchor, Recurrence: new Recurrence(period, 0)));
        Time.Advance(Anchor + TimeSpan.FromSeconds(takeAt) - Time.GetUtcNow());

        var lease = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 50, MinAcceptable: 50));

        Assert.Equal(50, lease.Granted);
        Assert.Equal(Anchor + TimeSpan.FromSeconds(boundary), lease.LeaseExpiresAt); // not the TTL's 30 s
    }

    [Fact]
    public async Task A_lease_of_one_off_credits_beside_a_recurring_grant_keeps_its_ttl()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "cap", 10, EffectiveAt: Anchor, Recurrence: new Recurrence(RecurrencePeriod.Minute, 0)));
        await Ledger.GrantAsync(new GrantSpec(id, "purchase", 100, Priority: 1));
        Time.Advance(Anchor + TimeSpan.FromSeconds(45) - Time.GetUtcNow());

        var lease = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 50, MinAcceptable: 50));

        Assert.Equal(50, lease.Granted); // all from the purchase, which burns first
        Assert.Equal(Time.GetUtcNow() + Options.LeaseTtl, lease.LeaseExpiresAt);
    }

    [Fact]
    public async Task Leased_credits_of_an_ended_minute_are_charged_first_and_beyond_the_holds_expire()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "cap", 200, EffectiveAt: Anchor, Recurrence: new Recurrence(RecurrencePeriod.Minute, 0)));
        Time.Advance(Anchor + TimeSpan.FromSeconds(45) - Time.GetUtcNow());
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 50, MinAcceptable: 50));

        Time.Advance(TimeSpan.FromSeconds(16)); // the next minute: 150 unleased credits expired at its start
        await AssertBalance(id, available: 200, leased: 50, expired: 150, granted: 400);

        // Usage of the ended minute is charged to its slice; of the rest, 20 stay for an open hold, 20 expire.
        var ex = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 10, Held: 20));
        Assert.Equal(20, ex.Revoked);
        await AssertBalance(id, available: 200, leased: 20, consumed: 10, expired: 170, granted: 400);

        // The held 20 stay on the lease for the hold, and from now on count as this minute's (the one edge of a rate
        // cap, docs/design.md#recurrence): the hold commits 15 and what it gives back joins this minute's credits.
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 3, Used: 15, Return: 5));
        await AssertBalance(id, available: 205, consumed: 25, expired: 170, granted: 400);
    }

    [Fact]
    public async Task Returned_credits_of_an_ended_period_roll_over_only_as_far_as_the_rollover_maximum_leaves_room()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "cap", 100, EffectiveAt: Anchor, Recurrence: new Recurrence(RecurrencePeriod.Hourly, 80)));
        Time.Advance(Anchor + TimeSpan.FromSeconds((59 * 60) + 45) - Time.GetUtcNow());
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 50, MinAcceptable: 50));

        // The boundary carries the 50 unleased credits; room for 30 more.
        Time.Advance(TimeSpan.FromSeconds(16));
        await AssertBalance(id, available: 150, leased: 50, granted: 200);

        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Return: 50));
        await AssertBalance(id, available: 180, expired: 20, granted: 200);

        // A lease returned after the next boundary, which carried a full 80, finds no room left.
        Time.Advance(Anchor + TimeSpan.FromSeconds((119 * 60) + 45) - Time.GetUtcNow());
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i2", 1, Want: 10, MinAcceptable: 10));
        Time.Advance(TimeSpan.FromSeconds(16));
        await AssertBalance(id, available: 180, leased: 10, expired: 110, granted: 300);
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i2", 2, Return: 10));
        await AssertBalance(id, available: 180, expired: 120, granted: 300);
    }

    [Fact]
    public async Task A_reclaimed_lease_of_an_ended_minute_expires_whether_or_not_the_boundary_was_seen_first()
    {
        var seen = await NewAccountAsync();
        var unseen = await NewAccountAsync();
        foreach (var id in new[] { seen, unseen })
        {
            await Ledger.GrantAsync(new GrantSpec(id, "cap", 200, EffectiveAt: Anchor, Recurrence: new Recurrence(RecurrencePeriod.Minute, 0)));
        }

        Time.Advance(Anchor + TimeSpan.FromSeconds(45) - Time.GetUtcNow());
        foreach (var id in new[] { seen, unseen })
        {
            await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 50, MinAcceptable: 50));
        }

        Time.Advance(TimeSpan.FromSeconds(16));
        await AssertBalance(seen, available: 200, leased: 50, expired: 150, granted: 400); // renewed; the lease not yet reclaimed
        Time.Advance(Options.ReclaimGrace);

        await AssertBalance(seen, available: 200, expired: 200, granted: 400);
        await AssertBalance(unseen, available: 200, expired: 200, granted: 400);
    }
}
