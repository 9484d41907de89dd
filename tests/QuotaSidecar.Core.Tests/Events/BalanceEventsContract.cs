using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Events;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Tests.Events;

/// <summary>
/// The balance events every ledger decides the same way (docs/design.md#balance-events): one event per crossing,
/// decided in the step that changed the balance, with a stable id. Each store inherits this class unchanged.
/// </summary>
public abstract class BalanceEventsContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private int _accounts;

    protected FakeTimeProvider Time { get; } = new(Start);

    protected CentralLedgerOptions Options { get; } = new() { LeaseTtl = TimeSpan.FromSeconds(30), MaxLeaseShare = 1.0 };

    // Longer than any test's fake-clock jump, so no test's events are trimmed by the retention under it.
    protected EventOptions EventOptions { get; } = new() { Retention = TimeSpan.FromDays(90) };

    protected ICentralLedger Ledger { get; private set; } = null!;

    protected IEventLog Events { get; private set; } = null!;

    protected IRechargePolicies Recharges { get; private set; } = null!;

    /// <summary>Makes the ledger under test, its event log and its recharge policies.</summary>
    protected abstract (ICentralLedger Ledger, IEventLog Events, IRechargePolicies Recharges) Create(FakeTimeProvider time, CentralLedgerOptions options, EventOptions events);

    /// <summary>Moves the account's decided events to the global stream, as the sidecar's relay does (nothing to do
    /// where they are appended at once).</summary>
    protected abstract Task RelayAsync(string accountId);

    public virtual Task InitializeAsync()
    {
        (Ledger, Events, Recharges) = Create(Time, Options, EventOptions);
        return Task.CompletedTask;
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Creating_an_account_and_spending_above_the_threshold_makes_no_event()
    {
        var id = await NewAccountAsync(threshold: 100);
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        await Take(id, "i1", 1, 1_000);
        await Spend(id, "i1", 2, 800);

        var events = await EventsOf(id);

        // Created with nothing (low), then a first purchase: the only crossing is the purchase's recovery.
        Assert.Equal([BalanceEventType.BalanceRecovered], events.Select(e => e.Type));
    }

    [Fact]
    public async Task Crossing_the_threshold_makes_one_low_event_with_the_figures()
    {
        var id = await FundedAccountAsync(threshold: 100, credits: 1_000);
        await Spend(id, "i1", 2, 850);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Spend(id, "i1", 3, 100);
        await Spend(id, "i1", 4, 20);

        var low = Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.BalanceLow);

        Assert.Equal(id + ":2", low.Id); // :1 was the purchase's recovery
        Assert.Equal(id, low.AccountId);
        Assert.Equal(50, low.Balance);
        Assert.Equal(100, low.Threshold);
        Assert.Equal(Start.AddSeconds(1), low.At);
        Assert.NotEmpty(low.Cursor);
    }

    [Fact]
    public async Task A_resent_exchange_makes_no_second_event()
    {
        var id = await FundedAccountAsync(threshold: 100, credits: 1_000);
        await Spend(id, "i1", 2, 950);
        await Spend(id, "i1", 2, 950); // the same sequence again: a retry after a lost answer

        Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.BalanceLow);
    }

    [Fact]
    public async Task A_grant_above_the_threshold_makes_one_recovered_event()
    {
        var id = await FundedAccountAsync(threshold: 100, credits: 1_000);
        await Spend(id, "i1", 2, 950);
        await Ledger.GrantAsync(new GrantSpec(id, "top-up", 500));
        await Ledger.GrantAsync(new GrantSpec(id, "top-up", 500)); // idempotent repeat

        var types = (await EventsOf(id)).Select(e => e.Type).ToList();

        Assert.Equal([BalanceEventType.BalanceRecovered, BalanceEventType.BalanceLow, BalanceEventType.BalanceRecovered], types);
        Assert.Equal(550, (await EventsOf(id))[^1].Balance);
    }

    [Fact]
    public async Task Reaching_zero_on_a_hard_account_is_low_then_depleted_and_a_small_grant_recovers_nothing()
    {
        var id = await FundedAccountAsync(threshold: 10, credits: 100);
        await Spend(id, "i1", 2, 100);
        await Ledger.GrantAsync(new GrantSpec(id, "small", 5));
        await Ledger.GrantAsync(new GrantSpec(id, "big", 100));

        var events = await EventsOf(id);

        Assert.Equal(
            [BalanceEventType.BalanceRecovered, BalanceEventType.BalanceLow, BalanceEventType.BalanceDepleted, BalanceEventType.BalanceRecovered],
            events.Select(e => e.Type));
        Assert.Equal([0L, 0L, 105L], events.Skip(1).Select(e => e.Balance));
        Assert.Equal(events.Select((_, i) => $"{id}:{i + 1}"), events.Select(e => e.Id));
    }

    [Fact]
    public async Task A_soft_account_at_zero_is_low_not_depleted()
    {
        var id = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, OverageMode: OverageMode.Soft, OverageLimit: 100, LowBalanceThreshold: 10));
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 100));
        await Take(id, "i1", 1, 100);
        await Spend(id, "i1", 2, 150);

        Assert.Equal(
            [BalanceEventType.BalanceRecovered, BalanceEventType.BalanceLow, BalanceEventType.OverageStarted],
            (await EventsOf(id)).Select(e => e.Type));
    }

    [Fact]
    public async Task Debt_starts_overage_once_reaching_the_limit_says_so_once_and_a_payoff_rearms_both()
    {
        var id = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, OverageMode: OverageMode.Soft, OverageLimit: 100, LowBalanceThreshold: 10));
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 100));
        await Take(id, "i1", 1, 100);
        await Spend(id, "i1", 2, 150); // 100 from credits, 50 of debt
        await Spend(id, "i1", 3, 20);  // 70 of debt: still in overage, below the limit
        await Spend(id, "i1", 4, 40);  // 110: the limit
        await Spend(id, "i1", 5, 5);
        await Ledger.GrantAsync(new GrantSpec(id, "g2", 1_000)); // pays the 115 of debt: 885 left
        await Take(id, "i1", 6, 890);
        await Spend(id, "i1", 7, 900); // 15 of debt again

        var events = (await EventsOf(id)).Where(e => e.Type is BalanceEventType.OverageStarted or BalanceEventType.OverageLimitReached).ToList();

        Assert.Equal(
            [BalanceEventType.OverageStarted, BalanceEventType.OverageLimitReached, BalanceEventType.OverageStarted],
            events.Select(e => e.Type));
        Assert.Equal([50L, 110L, 15L], events.Select(e => e.Amount));
        Assert.All(events, e => Assert.Equal(100, e.Threshold));
        Assert.All(events, e => Assert.Equal(0, e.Balance));
    }

    [Fact]
    public async Task Raising_the_threshold_above_the_balance_is_a_crossing()
    {
        var id = await FundedAccountAsync(threshold: 0, credits: 500);
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, LowBalanceThreshold: 600));
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, LowBalanceThreshold: 700));

        var low = Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.BalanceLow);
        Assert.Equal(600, low.Threshold);
    }

    [Fact]
    public async Task A_void_and_an_expiry_are_crossings_too()
    {
        var voided = await NewAccountAsync(threshold: 100);
        await Ledger.GrantAsync(new GrantSpec(voided, "g1", 1_000));
        await Ledger.GrantAsync(new GrantSpec(voided, "g2", 50));
        await Ledger.VoidGrantAsync(voided, "g1");
        var expiring = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(expiring, LowBalanceThreshold: 100));
        await Ledger.GrantAsync(new GrantSpec(expiring, "g1", 1_000, ExpiresAt: Start.AddHours(1)));
        Time.Advance(TimeSpan.FromHours(2));
        await Ledger.GetAccountAsync(expiring);

        Assert.Equal(
            [BalanceEventType.BalanceRecovered, BalanceEventType.BalanceLow, BalanceEventType.BalanceDepleted, BalanceEventType.GrantExpired],
            (await EventsOf(expiring)).Select(e => e.Type));
        Assert.Equal(0, (await EventsOf(expiring))[^1].Balance);
        Assert.Equal([BalanceEventType.BalanceRecovered, BalanceEventType.BalanceLow], (await EventsOf(voided)).Select(e => e.Type));
        Assert.Equal(50, (await EventsOf(voided))[^1].Balance);
    }

    [Fact]
    public async Task A_track_account_decides_no_balance_or_overage_event_but_its_grants_still_expire()
    {
        var id = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, OverageMode: OverageMode.Track, OverageLimit: 10, LowBalanceThreshold: 100));
        await Ledger.GrantAsync(new GrantSpec(id, "promo", 50, ExpiresAt: Start.AddHours(1)));
        Time.Advance(TimeSpan.FromHours(2));
        await Ledger.GetAccountAsync(id); // the promo expires unused
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        await Take(id, "i1", 1, 1_000);
        await Spend(id, "i1", 2, 980); // low
        await Spend(id, "i1", 3, 600); // depleted, in debt far past the overage limit it does not have

        var events = await EventsOf(id);

        Assert.Equal([BalanceEventType.GrantExpired], events.Select(e => e.Type));
        Assert.True((await Ledger.GetAccountAsync(id))!.Balance.Overage > 10);
    }

    [Fact]
    public async Task An_account_that_becomes_track_while_low_makes_no_recovered_event()
    {
        var id = await FundedAccountAsync(threshold: 100, credits: 1_000);
        await Spend(id, "i1", 2, 950); // low
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, OverageMode: OverageMode.Track, LowBalanceThreshold: 100));
        await Ledger.GrantAsync(new GrantSpec(id, "g2", 10_000));

        var events = await EventsOf(id);

        Assert.Equal([BalanceEventType.BalanceRecovered, BalanceEventType.BalanceLow], events.Select(e => e.Type));
    }

    [Fact]
    public async Task An_expiring_grant_says_how_much_went_unused_once()
    {
        var id = await NewAccountAsync(threshold: 0);
        await Ledger.GrantAsync(new GrantSpec(id, "promo", 1_000, ExpiresAt: Start.AddHours(1)));
        await Ledger.GrantAsync(new GrantSpec(id, "paid", 500));
        await Take(id, "i1", 1, 300); // the promo burns first: 300 of it leased
        await Spend(id, "i1", 2, 300);
        Time.Advance(TimeSpan.FromHours(2));
        await Ledger.GetAccountAsync(id);
        await Ledger.GetAccountAsync(id);

        var expired = Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.GrantExpired);

        Assert.Equal("promo", expired.GrantId);
        Assert.Equal(700, expired.Amount);
        Assert.Equal(500, expired.Balance);
        Assert.Equal(Start.AddHours(2), expired.At);
    }

    [Fact]
    public async Task A_grant_within_the_lead_is_warned_of_once_then_expires_as_before()
    {
        var id = await NewAccountAsync(threshold: 0);
        await Ledger.GrantAsync(new GrantSpec(id, "promo", 1_000, ExpiresAt: Start.AddDays(2)));
        await Ledger.GrantAsync(new GrantSpec(id, "paid", 500));
        Time.Advance(TimeSpan.FromMinutes(1));
        await Take(id, "i1", 1, 300); // the promo burns first: 300 of it leased, 700 left centrally

        Assert.True(await Touch(id, TimeSpan.FromDays(3)));
        Assert.True(await Touch(id, TimeSpan.FromDays(3)));
        Time.Advance(TimeSpan.FromDays(1));
        Assert.True(await Touch(id, TimeSpan.FromDays(3)));

        var expiring = Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.GrantExpiring);
        Assert.Equal("promo", expiring.GrantId);
        Assert.Equal(700, expiring.Amount); // the central remainder: the 300 on the lease are not in it
        Assert.Equal(1_500, expiring.Balance);
        Assert.Equal(0, expiring.Threshold);
        Assert.Equal(Start.AddMinutes(1), expiring.At);

        Time.Advance(TimeSpan.FromDays(2));
        Assert.True(await Touch(id, TimeSpan.FromDays(3)));
        Assert.Equal(
            [BalanceEventType.BalanceRecovered, BalanceEventType.GrantExpiring, BalanceEventType.GrantExpired],
            (await EventsOf(id)).Select(e => e.Type));
    }

    [Fact]
    public async Task A_grant_beyond_the_lead_is_warned_of_when_the_clock_enters_it()
    {
        var id = await NewAccountAsync(threshold: 0);
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000, ExpiresAt: Start.AddDays(5)));
        var lead = TimeSpan.FromDays(3);

        await Touch(id, lead);
        Time.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMilliseconds(1));
        await Touch(id, lead);
        Assert.DoesNotContain(await EventsOf(id), e => e.Type == BalanceEventType.GrantExpiring);

        Time.Advance(TimeSpan.FromMilliseconds(1)); // exactly the lead before expires_at
        await Touch(id, lead);
        await Touch(id, lead);

        var expiring = Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.GrantExpiring);
        Assert.Equal(1_000, expiring.Amount);
        Assert.Equal(Start.AddDays(2), expiring.At);
    }

    [Fact]
    public async Task Without_a_touch_no_step_warns_and_a_lead_of_zero_is_refused()
    {
        var id = await NewAccountAsync(threshold: 0);
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000, ExpiresAt: Start.AddDays(2)));
        Time.Advance(TimeSpan.FromDays(1));
        await Take(id, "i1", 1, 100);
        await Ledger.GetAccountAsync(id);
        Time.Advance(TimeSpan.FromDays(2));
        await Ledger.GetAccountAsync(id);

        var events = await EventsOf(id);
        Assert.DoesNotContain(events, e => e.Type == BalanceEventType.GrantExpiring);
        Assert.Single(events, e => e.Type == BalanceEventType.GrantExpired);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Touch(id, TimeSpan.Zero));
    }

    [Fact]
    public async Task A_voided_used_up_or_not_yet_effective_grant_is_not_warned_of()
    {
        var id = await NewAccountAsync(threshold: 0);
        await Ledger.GrantAsync(new GrantSpec(id, "voided", 1_000, Priority: 1, ExpiresAt: Start.AddDays(2)));
        await Ledger.GrantAsync(new GrantSpec(id, "used", 200, Priority: 2, ExpiresAt: Start.AddDays(2)));
        await Ledger.GrantAsync(new GrantSpec(id, "later", 50, EffectiveAt: Start.AddDays(1), ExpiresAt: Start.AddDays(2)));
        await Ledger.GrantAsync(new GrantSpec(id, "paid", 500, Priority: 3));
        await Ledger.VoidGrantAsync(id, "voided");
        await Take(id, "i1", 1, 200); // all of "used"
        await Spend(id, "i1", 2, 200);

        Assert.True(await Touch(id, TimeSpan.FromDays(3)));
        Time.Advance(TimeSpan.FromDays(3));
        Assert.True(await Touch(id, TimeSpan.FromDays(3)));

        Assert.DoesNotContain(await EventsOf(id), e => e.Type == BalanceEventType.GrantExpiring);
        Assert.False(await Touch(NewAccountId(), TimeSpan.FromDays(3)));
    }

    [Fact]
    public async Task A_warned_grant_that_is_voided_is_forgotten_and_never_warned_of_again()
    {
        var id = await NewAccountAsync(threshold: 0);
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000, ExpiresAt: Start.AddDays(2)));
        await Ledger.GrantAsync(new GrantSpec(id, "g2", 1_000, ExpiresAt: Start.AddDays(2)));
        await Touch(id, TimeSpan.FromDays(3));
        await Ledger.VoidGrantAsync(id, "g1");
        Time.Advance(TimeSpan.FromHours(1));
        await Touch(id, TimeSpan.FromDays(3));
        await Touch(id, TimeSpan.FromDays(3));

        Assert.Equal(["g1", "g2"], (await EventsOf(id)).Where(e => e.Type == BalanceEventType.GrantExpiring).Select(e => e.GrantId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Watching_from_a_cursor_resumes_without_gaps_or_repeats()
    {
        var id = await FundedAccountAsync(threshold: 100, credits: 1_000);
        await Spend(id, "i1", 2, 950);
        await Ledger.GrantAsync(new GrantSpec(id, "top-up", 500));
        var all = await EventsOf(id);
        Assert.Equal(3, all.Count);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var resumed = new List<BalanceEvent>();
        await foreach (var e in Events.WatchAsync(all[0].Cursor, cts.Token))
        {
            if (e.AccountId == id)
            {
                resumed.Add(e);
            }

            if (resumed.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(all.Skip(1), resumed);
    }

    [Fact]
    public async Task A_thousand_accounts_crossing_at_once_make_a_thousand_events_none_twice()
    {
        var ids = new string[1_000];
        await Parallel.ForEachAsync(Enumerable.Range(0, ids.Length), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            ids[i] = await FundedAccountAsync(threshold: 100, credits: 1_000);
            await RelayAsync(ids[i]); // the purchase's recovery goes before the start
        });
        var start = await LastCursorAsync();

        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (id, _) =>
        {
            await Spend(id, "i1", 2, 950);
            // Two relays of the same outbox at once (the exchange's sidecar and the sweep): still one copy each.
            await Task.WhenAll(RelayAsync(id), RelayAsync(id));
        });

        var mine = ids.ToHashSet();
        var events = new List<BalanceEvent>();
        var after = start;
        while (true)
        {
            var page = await Events.ListAsync(after, 1000, null);
            events.AddRange(page.Events.Where(e => mine.Contains(e.AccountId)));
            if (page.Events.Count == 0)
            {
                break;
            }

            after = page.Next;
        }

        Assert.Equal(1_000, events.Count);
        Assert.Equal(1_000, events.Select(e => e.Id).Distinct().Count());
        Assert.All(events, e => Assert.Equal(BalanceEventType.BalanceLow, e.Type));
        Assert.Equal(mine.Order(StringComparer.Ordinal), events.Select(e => e.AccountId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Crossing_the_recharge_threshold_requests_one_recharge_to_the_target()
    {
        var id = await FundedAccountAsync(threshold: 0, credits: 1_000);
        await Recharges.SetRechargePolicyAsync(new RechargePolicy(id, Threshold: 200, Target: 1_000, MaxPerMonth: 3, Cooldown: TimeSpan.Zero));
        await Spend(id, "i1", 2, 850);
        await Spend(id, "i1", 3, 10);

        var request = Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.RechargeRequested);

        Assert.Equal("recharge-1", request.RechargeId);
        Assert.Equal(850, request.Amount);
        Assert.Equal(150, request.Balance);
        Assert.Equal(200, request.Threshold);
        var state = await Recharges.GetRechargePolicyAsync(id);
        Assert.Equal((1, 1L, Start), (state.RequestedThisMonth, state.Requests, state.LastRequestedAt!.Value));
    }

    [Fact]
    public async Task A_grant_with_the_recharge_id_rearms_and_only_the_next_crossing_requests_again()
    {
        var id = await FundedAccountAsync(threshold: 0, credits: 1_000);
        await Recharges.SetRechargePolicyAsync(new RechargePolicy(id, 200, 1_000, 3, TimeSpan.Zero));
        await Spend(id, "i1", 2, 850);
        var first = Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.RechargeRequested);

        await Ledger.GrantAsync(new GrantSpec(id, first.RechargeId, first.Amount));
        await Ledger.GrantAsync(new GrantSpec(id, first.RechargeId, first.Amount)); // the billing system retries
        await Take(id, "i1", 3, 850);
        Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.RechargeRequested);
        await Spend(id, "i1", 4, 900);

        var requests = (await EventsOf(id)).Where(e => e.Type == BalanceEventType.RechargeRequested).ToList();
        Assert.Equal(["recharge-1", "recharge-2"], requests.Select(e => e.RechargeId));
        Assert.Equal(900, requests[1].Amount);
    }

    [Fact]
    public async Task The_monthly_cap_holds_and_a_new_month_requests_at_the_next_touch()
    {
        var id = await FundedAccountAsync(threshold: 0, credits: 1_000);
        await Recharges.SetRechargePolicyAsync(new RechargePolicy(id, 200, 1_000, 2, TimeSpan.Zero));
        long sequence = 2;
        for (var i = 1; i <= 3; i++)
        {
            await Spend(id, "i1", sequence++, 850);
            await Ledger.GrantAsync(new GrantSpec(id, $"paid-{i}", 850)); // paid some other way: the cap still counts requests
            await Take(id, "i1", sequence++, 850);
        }

        await Spend(id, "i1", sequence++, 850);
        Assert.Equal(2, (await EventsOf(id)).Count(e => e.Type == BalanceEventType.RechargeRequested));

        Time.Advance(TimeSpan.FromDays(31)); // February
        await Ledger.GetAccountAsync(id);

        var requests = (await EventsOf(id)).Where(e => e.Type == BalanceEventType.RechargeRequested).ToList();
        Assert.Equal(3, requests.Count);
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), requests[2].At);
        Assert.Equal(1, (await Recharges.GetRechargePolicyAsync(id)).RequestedThisMonth);
    }

    [Fact]
    public async Task Within_the_cooldown_a_crossing_waits_and_is_requested_once_it_ends()
    {
        var id = await FundedAccountAsync(threshold: 0, credits: 1_000);
        await Recharges.SetRechargePolicyAsync(new RechargePolicy(id, 200, 1_000, 10, TimeSpan.FromHours(1)));
        await Spend(id, "i1", 2, 850);
        await Ledger.GrantAsync(new GrantSpec(id, "recharge-1", 850));
        await Take(id, "i1", 3, 850);
        Time.Advance(TimeSpan.FromMinutes(30));
        await Spend(id, "i1", 4, 850);
        Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.RechargeRequested);

        Time.Advance(TimeSpan.FromMinutes(30));
        await Ledger.GetAccountAsync(id);

        var requests = (await EventsOf(id)).Where(e => e.Type == BalanceEventType.RechargeRequested).ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal(Start.AddHours(1), requests[1].At);
    }

    [Fact]
    public async Task A_policy_set_below_its_threshold_requests_at_once_and_bad_policies_are_refused()
    {
        var id = await FundedAccountAsync(threshold: 0, credits: 100);
        var state = await Recharges.SetRechargePolicyAsync(new RechargePolicy(id, 200, 1_000, 1, TimeSpan.Zero));

        Assert.Equal(1, state.Requests);
        Assert.Equal(900, Assert.Single(await EventsOf(id), e => e.Type == BalanceEventType.RechargeRequested).Amount);
        Assert.Equal(new RechargePolicy(id, 200, 1_000, 1, TimeSpan.Zero), (await Recharges.GetRechargePolicyAsync(id)).Policy);
        var unknown = await Assert.ThrowsAsync<QuotaException>(async () => await Recharges.SetRechargePolicyAsync(new RechargePolicy(NewAccountId(), 1, 2, 1, TimeSpan.Zero)));
        var bad = await Assert.ThrowsAsync<QuotaException>(async () => await Recharges.SetRechargePolicyAsync(new RechargePolicy(id, 500, 500, 1, TimeSpan.Zero)));
        Assert.Equal(QuotaError.NotFound, unknown.Error);
        Assert.Equal(QuotaError.InvalidArgument, bad.Error);
        Assert.Contains("target", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_validates_its_arguments()
    {
        Assert.Equal(QuotaError.InvalidArgument, (await Assert.ThrowsAsync<QuotaException>(async () => await Events.ListAsync(null, 0, null))).Error);
        Assert.Equal(QuotaError.InvalidArgument, (await Assert.ThrowsAsync<QuotaException>(async () => await Events.ListAsync("x", 10, null))).Error);
        Assert.Equal(QuotaError.InvalidArgument, (await Assert.ThrowsAsync<QuotaException>(async () => await Events.ListAsync(null, 10, "bad id!"))).Error);
    }

    protected string NewAccountId() => $"ev-{Guid.NewGuid():N}-{Interlocked.Increment(ref _accounts)}";

    protected async Task<string> NewAccountAsync(long threshold)
    {
        var id = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, LowBalanceThreshold: threshold));
        return id;
    }

    /// <summary>A HARD account with one grant of <paramref name="credits"/>, all of it leased to instance i1 (sequence 1).</summary>
    protected async Task<string> FundedAccountAsync(long threshold, long credits)
    {
        var id = await NewAccountAsync(threshold);
        await Ledger.GrantAsync(new GrantSpec(id, "g1", credits));
        await Take(id, "i1", 1, credits);
        return id;
    }

    protected async Task<bool> Touch(string id, TimeSpan lead) =>
        await ((IGrantExpiryWarnings)Ledger).TouchAsync(id, lead);

    protected async Task Take(string id, string instance, long sequence, long want) =>
        await Ledger.ExchangeAsync(new LeaseExchange(id, instance, sequence, Want: want, MinAcceptable: 1));

    protected async Task Spend(string id, string instance, long sequence, long used) =>
        await Ledger.ExchangeAsync(new LeaseExchange(id, instance, sequence, Used: used));

    /// <summary>The account's events in the global stream, after relaying its outbox.</summary>
    protected async Task<List<BalanceEvent>> EventsOf(string id)
    {
        await RelayAsync(id);
        var events = new List<BalanceEvent>();
        string? after = null;
        while (true)
        {
            var page = await Events.ListAsync(after, 1000, id);
            events.AddRange(page.Events);
            if (page.Next.Length == 0 || page.Next == after)
            {
                return events;
            }

            after = page.Next;
        }
    }

    private async Task<string?> LastCursorAsync()
    {
        string? after = null;
        while (true)
        {
            var page = await Events.ListAsync(after, 1000, null);
            if (page.Events.Count == 0)
            {
                return after;
            }

            after = page.Next;
        }
    }
}
