using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Tests.Engine;

namespace QuotaSidecar.Core.Tests.Holds;

/// <summary>The life of a hold: reserve, commit below or above it, release, expiry, and the idempotent replay of each by
/// its id, on a fake clock over a real embedded ledger (docs/design.md §3).</summary>
public sealed class HoldTests : IAsyncLifetime
{
    private readonly EngineHarness _h = new();

    private QuotaEngine Engine => _h.Engine;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

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
}
