using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Events;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Redis.Events;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Tests.Events;

/// <summary>The Redis relay's failure cases (docs/design.md#event-relay): a relay cut between the copy and the trim,
/// an outbox nobody relayed, the exchange's signal, retention.</summary>
public sealed class RedisEventRelayTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    [Fact]
    public async Task A_relay_cut_before_the_trim_is_repeated_without_a_second_copy()
    {
        var (ledger, log, prefix) = Create();
        var id = await LowAccountAsync(ledger);
        var outbox = EventKeys.Outbox(prefix, id);
        var db = redis.Connection.GetDatabase();
        var pending = await db.StreamRangeAsync(outbox);
        Assert.Equal(2, pending.Length); // the purchase's recovery, then low

        // The crash: the copy happened, the trim did not.
        log.BeforeTrim = () => throw new RedisException("cut");
        await Assert.ThrowsAsync<QuotaSidecar.Core.QuotaException>(() => log.RelayAsync(id));
        Assert.Equal(2, await db.StreamLengthAsync(outbox));
        Assert.Equal(2, (await log.ListAsync(null, 1000, id)).Events.Count);
        log.BeforeTrim = null;

        Assert.Equal(0, await log.RelayAsync(id));
        Assert.Equal(0, await db.StreamLengthAsync(outbox));
        var page = await log.ListAsync(null, 1000, id);
        Assert.Equal([id + ":1", id + ":2"], page.Events.Select(e => e.Id));
    }

    [Fact]
    public async Task The_sweep_relays_an_outbox_nobody_relayed_and_one_instance_sweeps()
    {
        var (ledger, log, prefix) = Create();
        var id = await LowAccountAsync(ledger);

        var copied = await log.SweepOnceAsync("sweeper-a");
        Assert.Equal(-1, await log.SweepOnceAsync("sweeper-b"));
        for (var i = 0; i < 10_000 && copied < 2; i++)
        {
            copied += Math.Max(0, await log.SweepOnceAsync("sweeper-a"));
        }

        Assert.Equal(2, copied);
        Assert.Equal(0, await redis.Connection.GetDatabase().StreamLengthAsync(EventKeys.Outbox(prefix, id)));
        Assert.Equal(2, (await log.ListAsync(null, 1000, id)).Events.Count);
    }

    [Fact]
    public async Task An_exchange_that_leaves_events_signals_its_account_and_one_that_does_not_stays_quiet()
    {
        var (ledger, log, _) = Create();
        var id = NewAccountId();
        await ledger.UpsertAccountAsync(new AccountPolicy(id, LowBalanceThreshold: 100));
        await ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 1_000, MinAcceptable: 1));
        await log.RelayAsync(id);
        var signalled = new List<string>();
        ledger.EventsPending += signalled.Add;

        await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 100));
        Assert.Empty(signalled);
        await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 3, Used: 850));
        Assert.Equal([id], signalled);
    }

    [Fact]
    public async Task Events_older_than_the_retention_are_trimmed_from_the_stream()
    {
        var (ledger, log, _) = Create(new EventOptions { Retention = TimeSpan.FromMinutes(10) });
        var old = await LowAccountAsync(ledger);
        await log.RelayAsync(old);
        _time.Advance(TimeSpan.FromMinutes(30));
        var recent = await LowAccountAsync(ledger);
        await log.RelayAsync(recent);

        Assert.Empty((await log.ListAsync(null, 1000, old)).Events);
        Assert.Equal(2, (await log.ListAsync(null, 1000, recent)).Events.Count);
    }

    private (RedisLedger Ledger, RedisEventLog Log, string Prefix) Create(EventOptions? events = null)
    {
        var prefix = redis.KeyPrefix + ":" + Guid.NewGuid().ToString("N")[..8];
        var ledger = new RedisLedger(redis.Connection, new RedisLedgerOptions { KeyPrefix = prefix }, _time);
        return (ledger, ledger.CreateEventLog(events), prefix);
    }

    private static string NewAccountId() => $"relay-{Guid.NewGuid():N}";

    // Created, purchased (recovered), drained below the threshold (low): two events in its outbox.
    private static async Task<string> LowAccountAsync(RedisLedger ledger)
    {
        var id = NewAccountId();
        await ledger.UpsertAccountAsync(new AccountPolicy(id, LowBalanceThreshold: 100));
        await ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 1_000, MinAcceptable: 1, Used: 0));
        await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 950));
        return id;
    }
}
