using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Tests.Ledger;

/// <summary>
/// The semantics every central ledger must have (docs/design.md §2 and §4). Each implementation inherits this class and
/// passes it unchanged. Every test checks conservation after it changed something.
/// </summary>
public abstract partial class CentralLedgerContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private int _accounts;

    protected CentralLedgerContract()
    {
        Time = new FakeTimeProvider(Start);
        Options = new CentralLedgerOptions { LeaseTtl = TimeSpan.FromSeconds(30), MaxLeaseShare = 1.0 };
    }

    protected FakeTimeProvider Time { get; }

    protected CentralLedgerOptions Options { get; }

    protected ICentralLedger Ledger { get; private set; } = null!;

    /// <summary>Makes the ledger under test. Accounts of different tests never collide (ids are unique per test).</summary>
    protected abstract ICentralLedger CreateLedger(FakeTimeProvider time, CentralLedgerOptions options);

    /// <summary>How much the ledger keeps for the account, in its own units (records of the embedded book; fields,
    /// stream entries and keys in Redis): only compared with itself, to show what does or does not grow.</summary>
    protected abstract ValueTask<long> StoredSizeAsync(string accountId);

    public virtual Task InitializeAsync()
    {
        Ledger = CreateLedger(Time, Options);
        return Task.CompletedTask;
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Upsert_then_get_returns_settings_and_an_empty_balance()
    {
        var id = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, AccountStatus.Active, OverageMode.Soft, 500, 20, "api_call"));

        var view = await Ledger.GetAccountAsync(id);

        Assert.NotNull(view);
        Assert.Equal(new AccountPolicy(id, AccountStatus.Active, OverageMode.Soft, 500, 20, "api_call"), view.Policy);
        Assert.Equal(new Balance(0, 0, 0, 0, 0, 0, 0), view.Balance);
    }

    [Fact]
    public async Task Unknown_account_is_absent_everywhere()
    {
        var id = NewAccountId();

        Assert.Null(await Ledger.GetAccountAsync(id));
        var result = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 10, MinAcceptable: 1));
        Assert.False(result.AccountExists);
        var e = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.GrantAsync(new GrantSpec(id, "g", 10)));
        Assert.Equal(QuotaError.NotFound, e.Error);
        Assert.Null(await Ledger.GetAccountAsync(id));
    }

    [Fact]
    public async Task Grant_adds_to_available_and_granted()
    {
        var id = await NewAccountAsync();

        var grant = await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));

        Assert.Equal(1_000, grant.Remaining);
        Assert.Equal(GrantSpec.DefaultPriority, grant.Priority);
        await AssertBalance(id, available: 1_000, granted: 1_000);
    }

    [Fact]
    public async Task Grant_id_is_idempotent_and_a_conflicting_reuse_changes_nothing()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 100));

        var again = await Ledger.GrantAsync(new GrantSpec(id, "g1", 100));
        var e = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.GrantAsync(new GrantSpec(id, "g1", 200)));

        Assert.Equal(100, again.Amount);
        Assert.Equal(QuotaError.AlreadyExists, e.Error);
        Assert.Contains("g1", e.Message, StringComparison.Ordinal);
        await AssertBalance(id, available: 100, granted: 100);
    }

    [Fact]
    public async Task Largest_amount_round_trips_exactly()
    {
        var id = await NewAccountAsync();

        await Ledger.GrantAsync(new GrantSpec(id, "big", Validation.MaxAmount));
        var lease = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: Validation.MaxAmount - 1, MinAcceptable: Validation.MaxAmount - 1));

        Assert.Equal(Validation.MaxAmount - 1, lease.Granted);
        await AssertBalance(id, available: 1, leased: Validation.MaxAmount - 1, granted: Validation.MaxAmount);
    }

    [Fact]
    public async Task Grants_cannot_push_an_account_total_past_the_maximum()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "half", Validation.MaxAccountTotal / 2));
        await Ledger.GrantAsync(new GrantSpec(id, "other-half", Validation.MaxAccountTotal / 2));

        var e = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.GrantAsync(new GrantSpec(id, "one-too-many", 1)));

        Assert.Equal(QuotaError.InvalidArgument, e.Error);
        Assert.Contains("granted in total", e.Message, StringComparison.Ordinal);
        await AssertBalance(id, available: Validation.MaxAccountTotal, granted: Validation.MaxAccountTotal);
    }

    [Fact]
    public async Task Lease_draws_grants_in_burn_down_order()
    {
        var id = await NewAccountAsync();
        // Expected order: p10 first, then (p50) soonest expiry, then promotional before paid, then earlier effective,
        // then grant id.
        await Ledger.GrantAsync(new GrantSpec(id, "paid-never", 10, Priority: 50));
        await Ledger.GrantAsync(new GrantSpec(id, "promo-never", 10, Priority: 50, Category: GrantCategory.Promotional));
        await Ledger.GrantAsync(new GrantSpec(id, "expires-late", 10, Priority: 50, ExpiresAt: Start.AddDays(20)));
        await Ledger.GrantAsync(new GrantSpec(id, "expires-soon", 10, Priority: 50, ExpiresAt: Start.AddDays(10)));
        await Ledger.GrantAsync(new GrantSpec(id, "urgent", 10, Priority: 10));
        await Ledger.GrantAsync(new GrantSpec(id, "b-early", 10, Priority: 60, EffectiveAt: Start.AddHours(-2)));
        await Ledger.GrantAsync(new GrantSpec(id, "a-late", 10, Priority: 60, EffectiveAt: Start.AddHours(-1)));
        await Ledger.GrantAsync(new GrantSpec(id, "z-id", 10, Priority: 70));
        await Ledger.GrantAsync(new GrantSpec(id, "y-id", 10, Priority: 70));
        string[] expected = ["urgent", "expires-soon", "expires-late", "promo-never", "paid-never", "b-early", "a-late", "y-id", "z-id"];

        var listed = await Ledger.ListGrantsAsync(id, includeInactive: false);
        Assert.Equal(expected, listed.Select(g => g.GrantId));

        for (var i = 0; i < expected.Length; i++)
        {
            await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", i + 1, Want: 10, MinAcceptable: 10));
            var grants = await Ledger.ListGrantsAsync(id, includeInactive: true);
            var drained = grants.Where(g => g.Remaining == 0).Select(g => g.GrantId).ToHashSet();
            Assert.Equal(expected.Take(i + 1).ToHashSet(), drained);
        }
    }

    [Fact]
    public async Task Usage_is_charged_to_the_lease_and_the_rest_returns_to_grants()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));

        var take = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 300, MinAcceptable: 300));
        await AssertBalance(id, available: 700, leased: 300, granted: 1_000);
        var report = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 120, Return: 80));

        Assert.Equal(300, take.Granted);
        Assert.Equal(100, report.LeaseCredits);
        await AssertBalance(id, available: 780, leased: 100, consumed: 120, granted: 1_000);
        var entries = await AllEntries(id);
        Assert.Contains(entries, e => e.Kind == LedgerEntryKind.Consumed && e.Amount == 120 && e.Source == "i1");
    }

    [Fact]
    public async Task A_repeated_sequence_is_applied_once_and_returns_the_first_result()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 500, MinAcceptable: 500));

        var first = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 100, Want: 50, MinAcceptable: 1));
        var retry = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 100, Want: 50, MinAcceptable: 1));
        var stale = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 500, MinAcceptable: 500));

        Assert.Equal(first, retry);
        Assert.Equal(0, stale.Granted);
        await AssertBalance(id, available: 450, leased: 450, consumed: 100, granted: 1_000);
    }

    [Fact]
    public async Task Sequences_are_per_instance()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));

        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 100, MinAcceptable: 100));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i2", 1, Want: 100, MinAcceptable: 100));

        await AssertBalance(id, available: 800, leased: 200, granted: 1_000);
    }

    [Fact]
    public async Task A_take_never_exceeds_available_nor_goes_below_min()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 100));

        var tooMuch = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 500, MinAcceptable: 101));
        var partial = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Want: 500, MinAcceptable: 10));

        Assert.Equal(0, tooMuch.Granted);
        Assert.Equal(100, partial.Granted);
        Assert.Equal(0, partial.Available);
        await AssertBalance(id, leased: 100, granted: 100);
    }

    [Fact]
    public async Task Takes_are_capped_by_share_and_fair_share_but_never_below_min()
    {
        Options.MaxLeaseShare = 0.10;
        var ledger = CreateLedger(Time, Options);
        var id = NewAccountId();
        await ledger.UpsertAccountAsync(new AccountPolicy(id));
        await ledger.GrantAsync(new GrantSpec(id, "g1", 10_000));

        var a = await ledger.ExchangeAsync(new LeaseExchange(id, "a", 1, Want: 5_000, MinAcceptable: 1));
        var b = await ledger.ExchangeAsync(new LeaseExchange(id, "b", 1, Want: 5_000, MinAcceptable: 1));
        var c = await ledger.ExchangeAsync(new LeaseExchange(id, "c", 1, Want: 5_000, MinAcceptable: 2_000));

        Assert.Equal(1_000, a.Granted); // 10% of 10,000
        Assert.Equal(900, b.Granted); // 10% of 9,000 (fair share 9,000/2 is larger)
        Assert.Equal(2_000, c.Granted); // a request's own need beats the cap
        var view = await ledger.GetAccountAsync(id);
        Assert.True(view!.Balance.IsConserved);
        Assert.Equal(3_900, view.Balance.Leased);
    }

    [Fact]
    public async Task A_take_that_cannot_be_filled_while_others_hold_credits_asks_them_to_return()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 100));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "holder", 1, Want: 100, MinAcceptable: 100));

        var starved = await Ledger.ExchangeAsync(new LeaseExchange(id, "starved", 1, Want: 10, MinAcceptable: 10));
        var holderSees = await Ledger.ExchangeAsync(new LeaseExchange(id, "holder", 2));
        var returned = await Ledger.ExchangeAsync(new LeaseExchange(id, "holder", 3, Return: 100));
        var retry = await Ledger.ExchangeAsync(new LeaseExchange(id, "starved", 2, Want: 10, MinAcceptable: 10));

        Assert.Equal(0, starved.Granted);
        Assert.True(starved.ReclaimRequested);
        Assert.True(holderSees.ReclaimRequested);
        Assert.Equal(0, returned.LeaseCredits);
        Assert.Equal(10, retry.Granted);
        Time.Advance(Options.ReclaimWindow);
        var later = await Ledger.ExchangeAsync(new LeaseExchange(id, "holder", 4));
        Assert.False(later.ReclaimRequested);
        await AssertBalance(id, available: 90, leased: 10, granted: 100);
    }

    [Fact]
    public async Task An_expired_lease_is_reclaimed_by_the_next_script_and_its_holder_learns_it_was_lost()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        var take = await Ledger.ExchangeAsync(new LeaseExchange(id, "crashed", 1, Want: 400, MinAcceptable: 400));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "crashed", 2, Used: 150));
        Assert.Equal(Start + Options.LeaseTtl, take.LeaseExpiresAt);

        Time.Advance(Options.LeaseTtl);
        await Ledger.ExchangeAsync(new LeaseExchange(id, "other", 1));
        await AssertBalance(id, available: 600, leased: 250, consumed: 150, granted: 1_000); // kept for a late report

        Time.Advance(Options.ReclaimGrace);
        await Ledger.ExchangeAsync(new LeaseExchange(id, "other", 2));
        await AssertBalance(id, available: 850, consumed: 150, granted: 1_000);

        var back = await Ledger.ExchangeAsync(new LeaseExchange(id, "crashed", 3, Used: 20));
        Assert.True(back.LeaseLost);
        await AssertBalance(id, available: 830, consumed: 170, granted: 1_000);
    }

    [Fact]
    public async Task A_late_report_within_the_grace_is_charged_to_the_lease_of_an_expired_grant()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "short", 100, ExpiresAt: Start.AddSeconds(10)));
        await Ledger.GrantAsync(new GrantSpec(id, "long", 100));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 50, MinAcceptable: 50));

        Time.Advance(TimeSpan.FromSeconds(11));
        var late = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 30, Want: 10, MinAcceptable: 10));

        Assert.False(late.LeaseLost);
        Assert.Equal(20, late.Revoked);
        Assert.Equal(10, late.Granted);
        await AssertBalance(id, available: 90, leased: 10, consumed: 30, expired: 70, granted: 200);
    }

    [Fact]
    public async Task Renewal_extends_the_lease()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 400, MinAcceptable: 400));

        Time.Advance(TimeSpan.FromSeconds(20));
        var renewed = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2));
        Time.Advance(TimeSpan.FromSeconds(20));
        var still = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 3));

        Assert.Equal(Start.AddSeconds(50), renewed.LeaseExpiresAt);
        Assert.False(still.LeaseLost);
        Assert.Equal(400, still.LeaseCredits);
        await AssertBalance(id, available: 600, leased: 400, granted: 1_000);
    }

    [Fact]
    public async Task Grant_expiry_moves_the_remainder_to_expired_and_caps_lease_expiry()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "short", 100, ExpiresAt: Start.AddSeconds(10)));
        await Ledger.GrantAsync(new GrantSpec(id, "long", 100));

        var lease = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 50, MinAcceptable: 50));
        Assert.Equal(Start.AddSeconds(10), lease.LeaseExpiresAt);

        Time.Advance(TimeSpan.FromSeconds(10));
        var grants = await Ledger.ListGrantsAsync(id, includeInactive: false);

        Assert.Equal(["long"], grants.Select(g => g.GrantId));
        await AssertBalance(id, available: 100, leased: 50, expired: 50, granted: 200);

        // The lease expired with its grant; once its grace is over its 50 credits of "short" expire too.
        Time.Advance(Options.ReclaimGrace);
        await AssertBalance(id, available: 100, expired: 100, granted: 200);
        Assert.Contains(await AllEntries(id), e => e.Kind == LedgerEntryKind.Expired && e.GrantId == "short");
    }

    [Fact]
    public async Task A_future_grant_counts_only_from_its_effective_time()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "later", 100, EffectiveAt: Start.AddHours(1)));

        await AssertBalance(id);
        Assert.Empty(await Ledger.ListGrantsAsync(id, includeInactive: false));
        Assert.Single(await Ledger.ListGrantsAsync(id, includeInactive: true));
        var early = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 10, MinAcceptable: 10));
        Assert.Equal(0, early.Granted);

        Time.Advance(TimeSpan.FromHours(1));
        var onTime = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Want: 10, MinAcceptable: 10));

        Assert.Equal(10, onTime.Granted);
        await AssertBalance(id, available: 90, leased: 10, granted: 100);
    }

    [Fact]
    public async Task Void_withdraws_the_remainder_and_revokes_leased_credits_at_the_next_exchange()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "doomed", 100, Priority: 1));
        await Ledger.GrantAsync(new GrantSpec(id, "kept", 100, Priority: 2));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 60, MinAcceptable: 60));

        var voided = await Ledger.VoidGrantAsync(id, "doomed");
        await AssertBalance(id, available: 100, leased: 60, voided: 40, granted: 200);
        var next = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 10));
        var again = await Ledger.VoidGrantAsync(id, "doomed");

        Assert.NotNull(voided.VoidedAt);
        Assert.Equal(0, voided.Remaining);
        Assert.Equal(50, next.Revoked);
        Assert.Equal(0, next.LeaseCredits);
        Assert.Equal(voided.VoidedAt, again.VoidedAt);
        await AssertBalance(id, available: 100, consumed: 10, voided: 90, granted: 200);
        var e = await Assert.ThrowsAsync<QuotaException>(async () => await Ledger.VoidGrantAsync(id, "nope"));
        Assert.Equal(QuotaError.NotFound, e.Error);
    }

    [Fact]
    public async Task Void_keeps_leased_credits_the_holder_still_holds_and_charges_usage_to_them_first()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "doomed", 100, Priority: 1));
        await Ledger.GrantAsync(new GrantSpec(id, "kept", 100, Priority: 2));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 150, MinAcceptable: 150));
        await Ledger.VoidGrantAsync(id, "doomed");

        // 30 of the lease's credits are held for open reservations; they count against the voided grant's slice
        // first (usage is charged to it first), so 70 of its 100 leased credits go back, and none of "kept".
        var held = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Held: 30));
        Assert.Equal(70, held.Revoked);
        await AssertBalance(id, available: 50, leased: 80, voided: 70, granted: 200);

        // The holds commit 30: the voided grant's held credits are charged, and nothing is left to revoke.
        var used = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 3, Used: 30));
        Assert.Equal(0, used.Revoked);
        Assert.Equal(50, used.LeaseCredits);
        await AssertBalance(id, available: 50, leased: 50, consumed: 30, voided: 70, granted: 200);

        // Holds released instead: the next exchange (holding nothing) revokes the rest.
        var rid = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(rid));
        await Ledger.GrantAsync(new GrantSpec(rid, "doomed", 100, Priority: 1));
        await Ledger.ExchangeAsync(new LeaseExchange(rid, "i1", 1, Want: 100, MinAcceptable: 100));
        await Ledger.VoidGrantAsync(rid, "doomed");
        Assert.Equal(40, (await Ledger.ExchangeAsync(new LeaseExchange(rid, "i1", 2, Held: 60))).Revoked);
        Assert.Equal(60, (await Ledger.ExchangeAsync(new LeaseExchange(rid, "i1", 3, Held: 0))).Revoked);
        var view = await Ledger.GetAccountAsync(rid);
        Assert.Equal(new Balance(0, 0, 0, 0, 100, 0, 100), view!.Balance);
    }

    [Fact]
    public async Task Recurring_allowance_renews_each_period_with_capped_rollover()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "monthly", 100, Recurrence: new Recurrence(RecurrencePeriod.Daily, 30)));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 50, MinAcceptable: 50));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 50));

        Time.Advance(TimeSpan.FromDays(1));
        await AssertBalance(id, available: 130, consumed: 50, expired: 20, granted: 200);

        // Two boundaries at once are both applied, once each: at 130 = amount + rollover_max the grant is in its steady
        // state, so the two are one step of 200 expired and 200 renewed.
        Time.Advance(TimeSpan.FromDays(2));
        await AssertBalance(id, available: 130, consumed: 50, expired: 220, granted: 400);
        var grant = Assert.Single(await Ledger.ListGrantsAsync(id, includeInactive: false));
        Assert.Equal(3, grant.PeriodIndex);
        Assert.Equal([100L, 200L], (await AllEntries(id)).Where(e => e.Kind == LedgerEntryKind.Renewed).Select(e => e.Amount));
    }

    [Fact]
    public async Task Monthly_recurrence_follows_calendar_months()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "m", 10, EffectiveAt: Start, Recurrence: new Recurrence(RecurrencePeriod.Monthly, 0)));

        Time.Advance(TimeSpan.FromDays(30)); // Jan 31: still the first period
        await AssertBalance(id, available: 10, granted: 10);
        Time.Advance(TimeSpan.FromDays(1)); // Feb 1
        await AssertBalance(id, available: 10, expired: 10, granted: 20);
    }

    [Fact]
    public async Task Soft_account_gets_overage_allowance_and_records_debt_that_a_new_grant_pays_off()
    {
        var id = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, OverageMode: OverageMode.Soft, OverageLimit: 100));
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 50));

        // Credits first: of 130 wanted, 50 come from credits and 80 from the overage allowance.
        var lease = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 130, MinAcceptable: 1, OverageWant: 130));
        Assert.Equal(50, lease.Granted);
        Assert.Equal(80, lease.OverageGranted);
        Assert.Equal(20, lease.OverageHeadroom);
        var used = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 110, ReturnOverage: 20));
        Assert.Equal(40, used.OverageHeadroom); // 100 - 60 debt
        await AssertBalance(id, consumed: 50, overage: 60, granted: 50);

        await Ledger.GrantAsync(new GrantSpec(id, "topup", 100));

        await AssertBalance(id, available: 40, consumed: 110, overage: 0, granted: 150);
        var kinds = (await AllEntries(id)).Select(e => e.Kind).ToList();
        Assert.Contains(LedgerEntryKind.Overage, kinds);
        Assert.Contains(LedgerEntryKind.OveragePaid, kinds);
    }

    [Fact]
    public async Task Hard_account_gets_no_overage_allowance_but_usage_beyond_credits_is_recorded()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 50));

        var lease = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 50, MinAcceptable: 50, OverageWant: 80));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 70));

        Assert.Equal(0, lease.OverageGranted);
        Assert.Equal(0, lease.OverageHeadroom);
        await AssertBalance(id, consumed: 50, overage: 20, granted: 50);
    }

    [Fact]
    public async Task Usage_beyond_the_lease_draws_central_credits_before_debt()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 100));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 10, MinAcceptable: 10));

        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 30));

        await AssertBalance(id, available: 70, consumed: 30, granted: 100);
    }

    [Fact]
    public async Task Suspended_account_gets_no_credits_but_its_usage_is_still_recorded()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 100));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 10, MinAcceptable: 10));
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, AccountStatus.Suspended));

        var result = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 5, Want: 10, MinAcceptable: 1));

        Assert.Equal(0, result.Granted);
        Assert.Equal(AccountStatus.Suspended, result.Policy!.Status);
        await AssertBalance(id, available: 90, leased: 5, consumed: 5, granted: 100);
    }

    [Fact]
    public async Task Returns_give_back_what_burns_last_first()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "first", 50, Priority: 1));
        await Ledger.GrantAsync(new GrantSpec(id, "second", 50, Priority: 2));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 80, MinAcceptable: 80));

        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Return: 20));

        var grants = (await Ledger.ListGrantsAsync(id, includeInactive: true)).ToDictionary(g => g.GrantId, g => g.Remaining);
        Assert.Equal(0, grants["first"]);
        Assert.Equal(40, grants["second"]);
        await AssertBalance(id, available: 40, leased: 60, granted: 100);
    }

    [Fact]
    public async Task Ledger_entries_page_with_a_cursor()
    {
        var id = await NewAccountAsync();
        for (var i = 0; i < 5; i++)
        {
            await Ledger.GrantAsync(new GrantSpec(id, $"g{i}", 10 + i));
        }

        var first = await Ledger.ListEntriesAsync(id, null, 2);
        var second = await Ledger.ListEntriesAsync(id, first.Next, 2);
        var third = await Ledger.ListEntriesAsync(id, second.Next, 2);

        Assert.Equal([10L, 11L], first.Entries.Select(e => e.Amount));
        Assert.Equal([12L, 13L], second.Entries.Select(e => e.Amount));
        Assert.Equal([14L], third.Entries.Select(e => e.Amount));
        Assert.Equal("", third.Next);
        Assert.All(first.Entries, e => Assert.Equal(LedgerEntryKind.Granted, e.Kind));
    }

    [Fact]
    public async Task Invalid_input_is_rejected_with_the_field_name_and_changes_nothing()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 100));

        await AssertInvalid(() => Ledger.GrantAsync(new GrantSpec(id, "g2", 0)), "amount");
        await AssertInvalid(() => Ledger.GrantAsync(new GrantSpec(id, "g2", -5)), "amount");
        await AssertInvalid(() => Ledger.GrantAsync(new GrantSpec(id, "g2", Validation.MaxAmount + 1)), "amount");
        await AssertInvalid(() => Ledger.GrantAsync(new GrantSpec(id, "g2", 10, Priority: 101)), "priority");
        await AssertInvalid(() => Ledger.GrantAsync(new GrantSpec(id, "g2", 10, EffectiveAt: Start, ExpiresAt: Start)), "expires_at");
        await AssertInvalid(() => Ledger.GrantAsync(new GrantSpec(id, "", 10)), "grant_id");
        await AssertInvalid(() => Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 0)), "sequence");
        await AssertInvalid(() => Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Used: -1)), "used");
        await AssertInvalid(() => Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 5, MinAcceptable: 6)), "min_acceptable");
        await AssertInvalid(() => Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Acknowledged: 2)), "acknowledged");
        await AssertInvalid(() => Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Acknowledged: 1, AcknowledgedUsage: -1)), "acknowledged_usage");
        await AssertInvalid(() => Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, AcknowledgedUsage: 5)), "acknowledged_usage");
        await AssertInvalid(() => Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, ComposedAt: Start, Acknowledged: 1, AcknowledgedAt: Start.AddSeconds(1))), "acknowledged_at");
        await AssertInvalid(() => Ledger.UpsertAccountAsync(new AccountPolicy("bad id!")), "account_id");
        await AssertInvalid(() => Ledger.UpsertAccountAsync(new AccountPolicy(id, OverageLimit: -1)), "overage_limit");

        await AssertBalance(id, available: 100, granted: 100);
        Assert.Single(await Ledger.ListGrantsAsync(id, includeInactive: true));
    }

    [Fact]
    public async Task An_instance_record_answers_retries_for_the_horizon_after_its_lease_and_is_then_forgotten()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 100, MinAcceptable: 100, ComposedAt: Time.GetUtcNow()));
        var composed = Time.GetUtcNow();
        var report = new LeaseExchange(id, "i1", 2, Used: 30, Return: 70, ComposedAt: composed);
        var first = await Ledger.ExchangeAsync(report);
        var withRecord = await StoredSizeAsync(id);

        // Within the horizon after the instance stopped holding a lease, a retry gets its first answer.
        Time.Advance(Options.InstanceRecordHorizon - TimeSpan.FromMilliseconds(1));
        Assert.Equal(first, await Ledger.ExchangeAsync(report));
        await AssertBalance(id, available: 970, consumed: 30, granted: 1_000);

        // At the horizon the record goes; the same retry now may not be applied again: refused, lease lost.
        Time.Advance(TimeSpan.FromMilliseconds(1));
        await AssertBalance(id, available: 970, consumed: 30, granted: 1_000);
        Assert.True(await StoredSizeAsync(id) < withRecord);
        var late = await Ledger.ExchangeAsync(report);
        Assert.True(late.InstanceExpired);
        Assert.True(late.LeaseLost);
        Assert.Equal(0, late.Granted);
        await AssertBalance(id, available: 970, consumed: 30, granted: 1_000);
        Assert.True(await StoredSizeAsync(id) < withRecord);

        // An exchange composed now is an instance's first: applied.
        var fresh = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 3, Want: 10, MinAcceptable: 10, ComposedAt: Time.GetUtcNow()));
        Assert.False(fresh.InstanceExpired);
        Assert.Equal(10, fresh.Granted);
        await AssertBalance(id, available: 960, leased: 10, consumed: 30, granted: 1_000);
    }

    [Fact]
    public async Task The_horizon_of_a_reclaimed_lease_starts_at_the_reclaim()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "crashed", 1, Want: 100, MinAcceptable: 100));

        // Nothing touches the account for longer than the horizon; the first call then reclaims the lease.
        Time.Advance(Options.InstanceRecordHorizon + Options.LeaseTtl);
        await AssertBalance(id, available: 1_000, granted: 1_000);

        // Two horizons after its last exchange but within one of the reclaim, the instance still learns its lease is
        // gone, and its report is applied.
        Time.Advance(Options.InstanceRecordHorizon - TimeSpan.FromMilliseconds(1));
        var back = await Ledger.ExchangeAsync(new LeaseExchange(id, "crashed", 2, Used: 20, ComposedAt: Time.GetUtcNow()));

        Assert.True(back.LeaseLost);
        Assert.False(back.InstanceExpired);
        await AssertBalance(id, available: 980, consumed: 20, granted: 1_000);
    }

    [Fact]
    public async Task Memory_per_account_stays_constant_across_1000_sidecar_restarts()
    {
        var one = await NewAccountAsync();
        var many = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(one, "g1", 1_000_000));
        await Ledger.GrantAsync(new GrantSpec(many, "g1", 1_000_000));

        // Every sidecar start is a new instance id: each takes a lease, then its pod is replaced without returning it.
        await Ledger.ExchangeAsync(new LeaseExchange(one, "pod-0", 1, Want: 10, MinAcceptable: 10));
        for (var i = 0; i < 1_000; i++)
        {
            await Ledger.ExchangeAsync(new LeaseExchange(many, $"pod-{i}", 1, Want: 10, MinAcceptable: 10));
        }

        Time.Advance(Options.LeaseTtl + Options.ReclaimGrace);
        await AssertBalance(one, available: 1_000_000, granted: 1_000_000);
        await AssertBalance(many, available: 1_000_000, granted: 1_000_000);
        var oneReclaimed = await StoredSizeAsync(one);
        Assert.Equal(oneReclaimed + 999, await StoredSizeAsync(many)); // one record per instance, kept for the horizon

        Time.Advance(Options.InstanceRecordHorizon);
        await AssertBalance(one, available: 1_000_000, granted: 1_000_000);
        await AssertBalance(many, available: 1_000_000, granted: 1_000_000);

        Assert.Equal(await StoredSizeAsync(one), await StoredSizeAsync(many));
        Assert.True(await StoredSizeAsync(one) < oneReclaimed); // pod-0's record went too
    }

    [Fact]
    public async Task Without_a_rollback_the_acknowledged_figures_change_nothing_and_the_usage_total_runs_on()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        var t1 = Time.GetUtcNow();
        var take = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 100, MinAcceptable: 100, ComposedAt: t1));
        Assert.Equal(0, take.UsedTotal);

        var t2 = Time.GetUtcNow();
        var report = new LeaseExchange(id, "i1", 2, Used: 30, ComposedAt: t2, Acknowledged: 1, AcknowledgedUsage: take.UsedTotal, AcknowledgedAt: t1);
        var first = await Ledger.ExchangeAsync(report);
        var next = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 5, Used: 20, ComposedAt: t2, Acknowledged: 2, AcknowledgedUsage: first.UsedTotal, AcknowledgedAt: t2));

        Assert.False(first.StoreRolledBack);
        Assert.Equal(30, first.UsedTotal);
        Assert.False(next.StoreRolledBack);
        Assert.Equal(0, next.UsageRestored);
        Assert.Equal(50, next.UsedTotal);
        Assert.Equal(50, next.LeaseCredits);

        // A sidecar that forgot the account (idle eviction) starts again from acknowledged 0: the ledger's total runs on.
        var afresh = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 9, Used: 5, ComposedAt: Time.GetUtcNow()));
        Assert.False(afresh.StoreRolledBack);
        Assert.Equal(55, afresh.UsedTotal);
        await AssertBalance(id, available: 900, leased: 45, consumed: 55, granted: 1_000);
    }

    [Fact]
    public async Task A_rollback_that_lost_usage_charges_it_again_once()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        var t1 = Time.GetUtcNow();
        var take = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 100, MinAcceptable: 100, ComposedAt: t1));

        // The store went back in time to just after sequence 1: it answered sequence 2 (30 used, total 30) and lost it,
        // which leaves it exactly as if it had never seen sequence 2. The sidecar's next exchange says what it saw.
        Time.Advance(TimeSpan.FromSeconds(1));
        var t2 = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromSeconds(1));
        var resync = new LeaseExchange(id, "i1", 3, Used: 20, ComposedAt: Time.GetUtcNow(), Acknowledged: 2, AcknowledgedUsage: take.UsedTotal + 30, AcknowledgedAt: t2);
        var answer = await Ledger.ExchangeAsync(resync);

        Assert.True(answer.StoreRolledBack);
        Assert.Equal(30, answer.UsageRestored);
        Assert.Equal(50, answer.UsedTotal);
        Assert.Equal(50, answer.LeaseCredits);
        await AssertBalance(id, available: 900, leased: 50, consumed: 50, granted: 1_000);

        // Charged once: a retry gets the first answer; the next exchange sees no rollback.
        Assert.Equal(answer, await Ledger.ExchangeAsync(resync));
        var after = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 4, Used: 1, ComposedAt: Time.GetUtcNow(), Acknowledged: 3, AcknowledgedUsage: answer.UsedTotal, AcknowledgedAt: resync.ComposedAt));
        Assert.False(after.StoreRolledBack);
        Assert.Equal(51, after.UsedTotal);
        await AssertBalance(id, available: 900, leased: 49, consumed: 51, granted: 1_000);
        var usage = (await AllEntries(id)).Where(e => e.Kind == LedgerEntryKind.Consumed).Select(e => (e.Amount, e.Source)).ToList();
        Assert.Equal(new[] { (30L, "i1"), (20L, "i1"), (1L, "i1") }, usage);
    }

    [Fact]
    public async Task A_rollback_that_lost_a_take_or_a_return_answers_the_lease_the_ledger_remembers()
    {
        var id = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(id, OverageMode: OverageMode.Soft, OverageLimit: 100));
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        var t1 = Time.GetUtcNow();
        var took = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 100, MinAcceptable: 100, ComposedAt: t1));
        var other = await Ledger.ExchangeAsync(new LeaseExchange(id, "i2", 1, Want: 100, MinAcceptable: 100, OverageWant: 140, ComposedAt: t1));
        Assert.Equal(40, other.OverageGranted);
        Assert.Equal(40, other.LeaseOverage);

        // i1 saw sequence 2 take 200 more (it believes it holds 300): lost. i1's next exchange learns the lease is 100.
        var lostTake = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 3, Used: 10, ComposedAt: t1, Acknowledged: 2, AcknowledgedUsage: took.UsedTotal, AcknowledgedAt: t1));
        Assert.True(lostTake.StoreRolledBack);
        Assert.Equal(0, lostTake.UsageRestored);
        Assert.Equal(0, lostTake.Granted);
        Assert.Equal(90, lostTake.LeaseCredits);

        // i2 saw sequence 2 return 60 credits and its allowance: lost. The ledger still leases it 100 credits and 40.
        var lostReturn = await Ledger.ExchangeAsync(new LeaseExchange(id, "i2", 3, ComposedAt: t1, Acknowledged: 2, AcknowledgedUsage: other.UsedTotal, AcknowledgedAt: t1));
        Assert.True(lostReturn.StoreRolledBack);
        Assert.Equal(100, lostReturn.LeaseCredits);
        Assert.Equal(40, lostReturn.LeaseOverage);
        await AssertBalance(id, available: 800, leased: 190, consumed: 10, granted: 1_000);
    }

    [Fact]
    public async Task A_rollback_to_before_the_instances_first_exchange_charges_everything_it_acknowledged()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        Time.Advance(TimeSpan.FromHours(1));

        // The ledger has no record of i1 at all, though i1 saw its sequence 4 applied (70 used in all) an hour ago:
        // less than a horizon, so the record cannot have been forgotten.
        var answer = await Ledger.ExchangeAsync(new LeaseExchange(
            id, "i1", 5, Used: 5, ComposedAt: Time.GetUtcNow(), Acknowledged: 4, AcknowledgedUsage: 70, AcknowledgedAt: Time.GetUtcNow() - TimeSpan.FromHours(1)));

        Assert.True(answer.StoreRolledBack);
        Assert.Equal(70, answer.UsageRestored);
        Assert.Equal(75, answer.UsedTotal);
        await AssertBalance(id, available: 925, consumed: 75, granted: 1_000);
    }

    [Fact]
    public async Task A_record_forgotten_past_the_horizon_is_not_taken_for_a_rollback()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        var t0 = Time.GetUtcNow();
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 100, MinAcceptable: 100, ComposedAt: t0));
        var idle = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 30, Return: 70, ComposedAt: t0, Acknowledged: 1, AcknowledgedAt: t0));
        Assert.Equal(30, idle.UsedTotal);

        // Just within the horizon the record is there: no rollback.
        Time.Advance(Options.InstanceRecordHorizon - TimeSpan.FromMilliseconds(1));
        var t3 = Time.GetUtcNow();
        var within = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 3, Used: 1, ComposedAt: t3, Acknowledged: 2, AcknowledgedUsage: 30, AcknowledgedAt: t0));
        Assert.False(within.StoreRolledBack);
        Assert.Equal(31, within.UsedTotal);

        // A horizon after that the record is gone, and the sidecar's last acknowledged exchange is a horizon old: the
        // ledger cannot tell forgetting from a rollback, so it charges nothing again (31 would be charged twice).
        Time.Advance(Options.InstanceRecordHorizon);
        await AssertBalance(id, available: 969, consumed: 31, granted: 1_000);
        var late = await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 4, Used: 5, ComposedAt: Time.GetUtcNow(), Acknowledged: 3, AcknowledgedUsage: 31, AcknowledgedAt: t3));

        Assert.False(late.StoreRolledBack);
        Assert.False(late.InstanceExpired);
        Assert.Equal(0, late.UsageRestored);
        Assert.Equal(5, late.UsedTotal); // the ledger's total begins anew with the new record
        await AssertBalance(id, available: 964, consumed: 36, granted: 1_000);
    }

    protected string NewAccountId() => $"acct-{Guid.NewGuid():N}-{Interlocked.Increment(ref _accounts)}";

    protected async Task<string> NewAccountAsync()
    {
        var id = NewAccountId();
        await Ledger.UpsertAccountAsync(new AccountPolicy(id));
        return id;
    }

    protected async Task AssertBalance(
        string accountId, long available = 0, long leased = 0, long consumed = 0, long expired = 0, long voided = 0,
        long overage = 0, long granted = 0)
    {
        var view = await Ledger.GetAccountAsync(accountId);
        Assert.NotNull(view);
        var b = view.Balance;
        Assert.True(b.IsConserved, $"conservation broken: {b}");
        Assert.Equal(
            new { available, leased, consumed, expired, voided, overage, granted },
            new { available = b.Available, leased = b.Leased, consumed = b.Consumed, expired = b.Expired, voided = b.Voided, overage = b.Overage, granted = b.Granted });
    }

    protected async Task<List<LedgerEntry>> AllEntries(string accountId)
    {
        var all = new List<LedgerEntry>();
        string? after = null;
        do
        {
            var page = await Ledger.ListEntriesAsync(accountId, after, 100);
            all.AddRange(page.Entries);
            after = page.Next;
        }
        while (!string.IsNullOrEmpty(after));

        return all;
    }

    private static async Task AssertInvalid<T>(Func<ValueTask<T>> call, string field)
    {
        var e = await Assert.ThrowsAsync<QuotaException>(async () => await call());
        Assert.Equal(QuotaError.InvalidArgument, e.Error);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
    }
}
