using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;

namespace QuotaSidecar.Core.Tests.Engine;

/// <summary>The engine's answers to callers (granted, denied, overage, low balance, consume) and every error code for bad
/// input, on a fake clock over a real embedded ledger (docs/design.md §3).</summary>
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
}
