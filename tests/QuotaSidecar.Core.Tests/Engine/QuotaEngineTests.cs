using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;

namespace QuotaSidecar.Core.Tests.Engine;

/// <summary>Every rule of docs/design.md §3 and every error code, on a fake clock over a real embedded ledger.</summary>
public sealed class QuotaEngineTests : IAsyncLifetime
{
    private readonly EngineHarness _h = new();

    private QuotaEngine Engine => _h.Engine;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Reserve_within_credits_is_granted_and_holds_the_amount()
    {
        var id = await _h.AccountAsync(1_000);

        var r = await Engine.ReserveAsync(id, 10);

        Assert.Equal(Decision.Granted, r.Decision);
        Assert.Equal(10, r.Amount);
        Assert.False(string.IsNullOrEmpty(r.ReservationId));
        Assert.Equal(_h.Time.GetUtcNow() + _h.Options.DefaultHoldTtl, r.ExpiresAt);
        Assert.Equal(990, r.BalanceHint);
        var balance = await Engine.GetBalanceAsync(id);
        Assert.Equal(10, balance.Held);
        Assert.Equal(990, balance.Spendable);
    }

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
    public async Task Commit_below_hold_charges_actual_and_returns_the_rest()
    {
        var id = await _h.AccountAsync(1_000);
        var r = await Engine.ReserveAsync(id, 10);

        var c = Engine.Commit(r.ReservationId, 7);
        await _h.DrainAsync();

        Assert.Equal(new CommitResult(7, 3, 0, c.BalanceHint), c);
        var b = await _h.CentralBalanceAsync(id);
        Assert.Equal(7, b.Consumed);
        Assert.Equal(993, b.Available);
        Assert.Equal(0, b.Leased);
    }

    [Fact]
    public async Task Commit_above_hold_draws_excess_from_lease()
    {
        var id = await _h.AccountAsync(1_000);
        var r = await Engine.ReserveAsync(id, 10);

        var c = Engine.Commit(r.ReservationId, 25);
        await _h.DrainAsync();

        Assert.Equal(25, c.Committed);
        Assert.Equal(0, c.Released);
        Assert.Equal(0, c.Overage);
        Assert.Equal(25, (await _h.CentralBalanceAsync(id)).Consumed);
    }

    [Fact]
    public async Task Commit_above_all_credits_records_overage_and_never_drops_usage()
    {
        var id = await _h.AccountAsync(20);
        var r = await Engine.ReserveAsync(id, 10);

        var c = Engine.Commit(r.ReservationId, 50);
        await _h.DrainAsync();

        Assert.Equal(50, c.Committed);
        Assert.Equal(30, c.Overage);
        var b = await _h.CentralBalanceAsync(id);
        Assert.Equal(20, b.Consumed);
        Assert.Equal(30, b.Overage);
    }

    [Fact]
    public async Task Commit_repeated_with_same_amount_returns_first_result()
    {
        var id = await _h.AccountAsync(1_000);
        var r = await Engine.ReserveAsync(id, 10);

        var first = Engine.Commit(r.ReservationId, 4);
        var second = Engine.Commit(r.ReservationId, 4);
        await _h.DrainAsync();

        Assert.Equal(first, second);
        Assert.Equal(4, (await _h.CentralBalanceAsync(id)).Consumed);
    }

    [Fact]
    public async Task Commit_repeated_with_other_amount_is_failed_precondition()
    {
        var id = await _h.AccountAsync(1_000);
        var r = await Engine.ReserveAsync(id, 10);
        Engine.Commit(r.ReservationId, 4);

        var e = Assert.Throws<QuotaException>(() => Engine.Commit(r.ReservationId, 5));

        Assert.Equal(QuotaError.FailedPrecondition, e.Error);
        Assert.Contains("already committed with amount 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Release_returns_everything_and_is_idempotent()
    {
        var id = await _h.AccountAsync(1_000);
        var r = await Engine.ReserveAsync(id, 10);

        var first = Engine.Release(r.ReservationId);
        var second = Engine.Release(r.ReservationId);

        Assert.Equal(10, first.Released);
        Assert.Equal(10, second.Released);
        Assert.Equal(0, (await Engine.GetBalanceAsync(id)).Held);
        Assert.Equal(1_000, (await Engine.GetBalanceAsync(id)).Spendable);
    }

    [Fact]
    public async Task Commit_after_release_and_release_after_commit_are_failed_precondition()
    {
        var id = await _h.AccountAsync(1_000);
        var released = await Engine.ReserveAsync(id, 10);
        var committed = await Engine.ReserveAsync(id, 10);
        Engine.Release(released.ReservationId);
        Engine.Commit(committed.ReservationId, 10);

        var e1 = Assert.Throws<QuotaException>(() => Engine.Commit(released.ReservationId, 10));
        var e2 = Assert.Throws<QuotaException>(() => Engine.Release(committed.ReservationId));

        Assert.Equal(QuotaError.FailedPrecondition, e1.Error);
        Assert.Equal(QuotaError.FailedPrecondition, e2.Error);
    }

    [Fact]
    public void Unknown_reservation_is_not_found()
    {
        var e1 = Assert.Throws<QuotaException>(() => Engine.Commit("nope", 1));
        var e2 = Assert.Throws<QuotaException>(() => Engine.Release("nope"));

        Assert.Equal(QuotaError.NotFound, e1.Error);
        Assert.Equal(QuotaError.NotFound, e2.Error);
    }

    [Fact]
    public async Task Hold_expires_without_a_sweeper_and_counts_as_released()
    {
        var id = await _h.AccountAsync(1_000);
        var r = await Engine.ReserveAsync(id, 10, ttl: TimeSpan.FromSeconds(1));

        _h.Time.Advance(TimeSpan.FromSeconds(1));

        var e = Assert.Throws<QuotaException>(() => Engine.Commit(r.ReservationId, 10));
        Assert.Equal(QuotaError.FailedPrecondition, e.Error);
        Assert.Contains("expired", e.Message, StringComparison.Ordinal);
        Assert.Equal(10, Engine.Release(r.ReservationId).Released);
        Assert.Equal(0, (await Engine.GetBalanceAsync(id)).Held);
        Assert.Equal(0, Engine.OpenHolds);
    }

    [Fact]
    public async Task Expired_holds_free_their_credits_for_the_next_reserve()
    {
        var id = await _h.AccountAsync(100);
        await Engine.ReserveAsync(id, 100, ttl: TimeSpan.FromSeconds(1));
        Assert.Equal(Decision.Denied, (await Engine.ReserveAsync(id, 1)).Decision);

        _h.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(Decision.Granted, (await Engine.ReserveAsync(id, 100)).Decision);
    }

    [Fact]
    public async Task Reserve_with_same_id_and_parameters_returns_the_first_answer()
    {
        var id = await _h.AccountAsync(1_000);

        var first = await Engine.ReserveAsync(id, 10, "res-1");
        var again = await Engine.ReserveAsync(id, 10, "res-1");

        Assert.Equal(first, again);
        Assert.Equal(10, (await Engine.GetBalanceAsync(id)).Held);
    }

    [Fact]
    public async Task Reserve_with_same_id_and_other_parameters_is_already_exists_and_changes_nothing()
    {
        var id = await _h.AccountAsync(1_000);
        await Engine.ReserveAsync(id, 10, "res-1");

        var e = await Assert.ThrowsAsync<QuotaException>(async () => await Engine.ReserveAsync(id, 11, "res-1"));
        var e2 = await Assert.ThrowsAsync<QuotaException>(async () => await Engine.ReserveAsync(id, 10, "res-1", TimeSpan.FromSeconds(5)));

        Assert.Equal(QuotaError.AlreadyExists, e.Error);
        Assert.Equal(QuotaError.AlreadyExists, e2.Error);
        Assert.Equal(10, (await Engine.GetBalanceAsync(id)).Held);
    }

    [Fact]
    public async Task A_denied_reserve_with_an_id_is_replayed_as_denied()
    {
        var id = await _h.AccountAsync(5);

        var first = await Engine.ReserveAsync(id, 10, "res-x");
        await _h.Central.GrantAsync(new GrantSpec(id, "more", 100));
        var again = await Engine.ReserveAsync(id, 10, "res-x");

        Assert.Equal(Decision.Denied, first.Decision);
        Assert.Equal(first, again);
        var e = Assert.Throws<QuotaException>(() => Engine.Commit("res-x", 10));
        Assert.Equal(QuotaError.FailedPrecondition, e.Error);
    }

    [Fact]
    public async Task Insufficient_credits_is_a_denial_not_an_error()
    {
        var id = await _h.AccountAsync(50);

        var r = await Engine.ReserveAsync(id, 51);

        Assert.Equal(Decision.Denied, r.Decision);
        Assert.Equal(DenyReason.InsufficientCredits, r.DenyReason);
        Assert.Equal(0, r.Amount);
        Assert.Equal(50, (await Engine.GetBalanceAsync(id)).Spendable);
    }

    [Fact]
    public async Task Unknown_account_is_denied_and_leaves_no_state()
    {
        var r = await Engine.ReserveAsync("ghost", 1);
        var c = await Engine.ConsumeAsync("ghost", 1);

        Assert.Equal(DenyReason.UnknownAccount, r.DenyReason);
        Assert.Equal(DenyReason.UnknownAccount, c.DenyReason);
        Assert.Equal(0, Engine.ActiveAccounts);
        var e = await Assert.ThrowsAsync<QuotaException>(async () => await Engine.GetBalanceAsync("ghost"));
        Assert.Equal(QuotaError.NotFound, e.Error);
    }

    [Fact]
    public async Task Suspended_account_is_denied_but_open_holds_can_still_commit()
    {
        var id = await _h.AccountAsync(1_000);
        var open = await Engine.ReserveAsync(id, 10);
        var policy = new AccountPolicy(id, AccountStatus.Suspended);
        await _h.Central.UpsertAccountAsync(policy);
        Engine.ApplyPolicy(policy);

        var r = await Engine.ReserveAsync(id, 1);
        var c = Engine.Commit(open.ReservationId, 10);

        Assert.Equal(DenyReason.AccountSuspended, r.DenyReason);
        Assert.Equal(10, c.Committed);
    }

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
    public async Task Soft_account_goes_into_overage_up_to_its_limit()
    {
        var id = await _h.AccountAsync(10, OverageMode.Soft, overageLimit: 50);

        var within = await Engine.ReserveAsync(id, 40);
        var beyond = await Engine.ReserveAsync(id, 30);
        Engine.Commit(within.ReservationId, 40);
        await _h.DrainAsync();

        Assert.Equal(Decision.Granted, within.Decision);
        Assert.True(within.Overage);
        Assert.Equal(DenyReason.InsufficientCredits, beyond.DenyReason);
        var b = await _h.CentralBalanceAsync(id);
        Assert.Equal(10, b.Consumed);
        Assert.Equal(30, b.Overage);
    }

    [Fact]
    public async Task Low_balance_is_flagged_at_the_threshold()
    {
        var id = await _h.AccountAsync(100, lowBalance: 20);

        var above = await Engine.ReserveAsync(id, 79);
        var at = await Engine.ReserveAsync(id, 1);

        Assert.False(above.LowBalance);
        Assert.True(at.LowBalance);
        Assert.True((await Engine.GetBalanceAsync(id)).LowBalance);
    }

    [Fact]
    public async Task Consume_charges_at_once_and_is_idempotent_on_request_id()
    {
        var id = await _h.AccountAsync(100);

        var first = await Engine.ConsumeAsync(id, 30, "req-1");
        var again = await Engine.ConsumeAsync(id, 30, "req-1");
        var e = await Assert.ThrowsAsync<QuotaException>(async () => await Engine.ConsumeAsync(id, 31, "req-1"));
        await _h.DrainAsync();

        Assert.Equal(first, again);
        Assert.Equal(QuotaError.AlreadyExists, e.Error);
        Assert.Equal(30, (await _h.CentralBalanceAsync(id)).Consumed);
    }

    [Fact]
    public async Task Consume_without_request_id_is_denied_when_credits_run_out()
    {
        var id = await _h.AccountAsync(3);

        var results = new List<Decision>();
        for (var i = 0; i < 5; i++)
        {
            results.Add((await Engine.ConsumeAsync(id, 1)).Decision);
        }

        Assert.Equal([Decision.Granted, Decision.Granted, Decision.Granted, Decision.Denied, Decision.Denied], results);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(long.MinValue)]
    [InlineData(Validation.MaxAmount + 1)]
    [InlineData(long.MaxValue)]
    public async Task Bad_amounts_are_invalid_argument_and_change_nothing(long amount)
    {
        var id = await _h.AccountAsync(100);
        var held = await Engine.ReserveAsync(id, 1);

        var e1 = await Assert.ThrowsAsync<QuotaException>(async () => await Engine.ReserveAsync(id, amount));
        var e2 = await Assert.ThrowsAsync<QuotaException>(async () => await Engine.ConsumeAsync(id, amount));

        Assert.Equal(QuotaError.InvalidArgument, e1.Error);
        Assert.Contains("amount must be between 1 and", e1.Message, StringComparison.Ordinal);
        Assert.Contains($"(got {amount})", e1.Message, StringComparison.Ordinal);
        Assert.Equal(QuotaError.InvalidArgument, e2.Error);
        if (amount < 0 || amount > Validation.MaxAmount)
        {
            var e3 = Assert.Throws<QuotaException>(() => Engine.Commit(held.ReservationId, amount));
            Assert.Equal(QuotaError.InvalidArgument, e3.Error);
        }

        var balance = await Engine.GetBalanceAsync(id);
        Assert.Equal(1, balance.Held);
        Assert.Equal(99, balance.Spendable);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("ünïcode")]
    [InlineData("semi;colon")]
    public async Task Bad_account_ids_are_invalid_argument(string accountId)
    {
        var e = await Assert.ThrowsAsync<QuotaException>(async () => await Engine.ReserveAsync(accountId, 1));

        Assert.Equal(QuotaError.InvalidArgument, e.Error);
        Assert.Contains("account_id", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, Engine.ActiveAccounts);
    }

    [Fact]
    public async Task Bad_ttls_and_ids_are_invalid_argument()
    {
        var id = await _h.AccountAsync(100);

        var tooLong = await Assert.ThrowsAsync<QuotaException>(async () => await Engine.ReserveAsync(id, 1, ttl: TimeSpan.FromHours(2)));
        var tooShort = await Assert.ThrowsAsync<QuotaException>(async () => await Engine.ReserveAsync(id, 1, ttl: TimeSpan.FromTicks(5)));
        var longId = await Assert.ThrowsAsync<QuotaException>(async () => await Engine.ReserveAsync(id, 1, new string('x', 129)));
        var empty = Assert.Throws<QuotaException>(() => Engine.Commit("", 1));

        Assert.All([tooLong, tooShort, longId, empty], e => Assert.Equal(QuotaError.InvalidArgument, e.Error));
        Assert.Contains("ttl", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("reservation_id", longId.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await Engine.GetBalanceAsync(id)).Held);
    }

    [Fact]
    public async Task Many_threads_on_one_account_never_overspend()
    {
        const int credits = 2_000;
        var id = await _h.AccountAsync(credits);
        var granted = 0;

        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                var r = await Engine.ReserveAsync(id, 1);
                if (r.Decision == Decision.Granted)
                {
                    Interlocked.Increment(ref granted);
                    Engine.Commit(r.ReservationId, 1);
                }

                if (i % 50 == 0)
                {
                    await Engine.ProcessRefillsAsync();
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        await _h.DrainAsync();

        Assert.Equal(credits, granted);
        var b = await _h.CentralBalanceAsync(id);
        Assert.Equal(credits, b.Consumed);
        Assert.Equal(0, b.Leased);
        Assert.Equal(0, b.Overage);
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
