using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Tests;

/// <summary>What only the Redis ledger has: encodings, keys, the function library, errors, metrics.</summary>
public sealed class RedisLedgerTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly string _prefix = $"{redis.KeyPrefix}-{Guid.NewGuid():N}";

    [Fact]
    public void A_single_server_is_one_shard()
    {
        // null: the engine keeps one breaker for the whole store, as before shards (docs/design.md#store-breaker).
        Assert.Null(NewLedger().ShardOf("any-account"));
    }

    [Fact]
    public async Task Amounts_of_2_pow_53_are_stored_as_integers_and_read_back_exactly()
    {
        const long max = Validation.MaxAmount;
        var ledger = NewLedger();
        var id = NewAccountId();
        await ledger.UpsertAccountAsync(new AccountPolicy(id, OverageMode: OverageMode.Soft, OverageLimit: max, LowBalanceThreshold: max));

        var grant = await ledger.GrantAsync(new GrantSpec(id, "big", max, Recurrence: new Recurrence(RecurrencePeriod.Daily, max)));
        var take = await ledger.ExchangeAsync(new LeaseExchange(id, "i1", long.MaxValue, Want: max, MinAcceptable: max));
        var retry = await ledger.ExchangeAsync(new LeaseExchange(id, "i1", long.MaxValue, Want: max, MinAcceptable: max));
        var allowance = await ledger.ExchangeAsync(new LeaseExchange(id, "i2", 1, OverageWant: max));
        await ledger.ExchangeAsync(new LeaseExchange(id, "i2", 2, Used: max));

        Assert.Equal(max, grant.Amount);
        Assert.Equal(max, grant.Remaining);
        Assert.Equal(max, grant.Recurrence!.RolloverMax);
        Assert.Equal(max, take.Granted);
        Assert.Equal(take, retry);
        Assert.Equal(max, allowance.OverageGranted);
        var view = await ledger.GetAccountAsync(id);
        Assert.Equal(new Balance(Available: 0, Leased: max, Consumed: 0, Expired: 0, Voided: 0, Overage: max, Granted: max), view!.Balance);
        Assert.Equal(max, view.Policy.OverageLimit);
        Assert.Equal(max, view.Policy.LowBalanceThreshold);
        var entries = await ledger.ListEntriesAsync(id, null, 10);
        Assert.Equal([max, max], entries.Entries.Select(e => e.Amount));

        // Stored as digits, never as 9.007199254741e+15.
        var keys = AccountKeys.For(_prefix, id);
        var db = redis.Connection.GetDatabase();
        var stored = (string?)await db.HashGetAsync(keys[1], "big");
        Assert.StartsWith("9007199254740992 0 50 1 ", stored, StringComparison.Ordinal); // amount remaining priority category
        Assert.Contains(" 1 9007199254740992 ", stored, StringComparison.Ordinal); // daily, rollover_max
        Assert.DoesNotContain("e+", stored, StringComparison.Ordinal);
        Assert.Equal("9007199254740992", (string?)await db.HashGetAsync(keys[0], "debt"));
        Assert.DoesNotContain("e+", (string?)await db.HashGetAsync(keys[3], "i1"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_library_is_loaded_again_after_the_server_lost_it()
    {
        // A redis-server of its own: on the shared one, another test's ledger may load the library again between
        // this test's delete and its next call.
        await using var own = await QuotaSidecar.Testing.Processes.RedisServer.StartAsync();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(own.Endpoint + ",allowAdmin=true");
        var ledger = new RedisLedger(connection, Options(null), _time);
        var id = NewAccountId();
        await ledger.UpsertAccountAsync(new AccountPolicy(id));
        await ledger.GetAccountAsync(id); // loaded by now: one FCALL
        var before = ledger.CallCount;
        await ledger.GetAccountAsync(id);
        Assert.Equal(before + 1, ledger.CallCount);

        // What a restart without persistence or a failover to a replica without the library looks like.
        var server = connection.GetServers()[0];
        await server.ExecuteAsync("FUNCTION", "DELETE", Scripts.LedgerLibrary.Instance.Name);
        Assert.False(await LibraryLoadedAsync(server));

        var afterLoss = await ledger.GetAccountAsync(id);
        var calls = ledger.CallCount;
        await ledger.GetAccountAsync(id);

        Assert.NotNull(afterLoss);
        Assert.Equal(before + 1 + 3, calls); // FCALL -> "Function not found", FUNCTION LOAD, FCALL again
        Assert.Equal(calls + 1, ledger.CallCount); // loaded again
        Assert.True(await LibraryLoadedAsync(server));
    }

    [Fact]
    public async Task An_account_written_by_the_scripts_before_the_function_library_is_read_and_rewritten()
    {
        var ledger = NewLedger();
        var id = NewAccountId();
        var keys = AccountKeys.For(_prefix, id);
        var db = redis.Connection.GetDatabase();
        var start = Start.ToUnixTimeMilliseconds();
        var expires = start + 30_000;

        // The layout of the per-call scripts: lease slots in the account and the leases, records without 'r2'.
        await db.HashSetAsync(keys[0], [
            new("status", 1), new("mode", 1), new("overage_limit", 0), new("low_balance_threshold", 0), new("unit", ""),
            new("granted", 1_000), new("consumed", 0), new("expired", 0), new("voided", 0), new("debt", 0),
            new("reclaim_at", "-"), new("pending", 0), new("entry_seq", 1), new("lease_slots", 2), new("lease_free", "-"),
        ]);
        await db.HashSetAsync(keys[1], "g1", $"1000 800 50 1 {start} 0 - - 0 0 1 0 0 {start} ");
        await db.HashSetAsync(keys[2], [new("i1", $"0 {expires} 0 1 - g1 100 0"), new("i2", $"1 {expires} 0 1 - g1 100 0")]);
        await db.HashSetAsync(keys[3], [
            new("i1", $"1 1 100 0 0 0 100 {expires} 900 0 0 1 1 0 0 "),
            new("i2", $"1 1 100 0 0 0 100 {expires} 800 0 0 1 1 0 0 "),
            new("gone", $"5 0 0 0 0 0 0 {start} 800 0 0 1 1 0 0 "),
        ]);
        await db.StreamAddAsync(keys[4], [new("kind", 1), new("amount", 1_000), new("grant", "g1"), new("source", ""), new("at", start)], "1-0");

        _time.Advance(TimeSpan.FromSeconds(1));
        var retry = await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 100, MinAcceptable: 100));
        var report = await ledger.ExchangeAsync(new LeaseExchange(id, "i2", 2, Used: 30, Return: 70));

        Assert.Equal((100, 100, 900, Start.AddSeconds(30)), (retry.Granted, retry.LeaseCredits, retry.Available, retry.LeaseExpiresAt));
        Assert.Equal(0, report.LeaseCredits);
        var view = await ledger.GetAccountAsync(id);
        Assert.Equal(new Balance(Available: 870, Leased: 100, Consumed: 30, Expired: 0, Voided: 0, Overage: 0, Granted: 1_000), view!.Balance);
        Assert.False(await db.HashExistsAsync(keys[0], "lease_slots"));
        Assert.False(await db.HashExistsAsync(keys[0], "lease_free"));
        Assert.Equal($"{expires} 0 g1 100", (string?)await db.HashGetAsync(keys[2], "i1"));
        // A record this library writes carries the usage total, the lease's allowance and (here none) the usage a
        // rollback restored in its sequence token; one it only rewrites keeps the bare sequence.
        Assert.StartsWith("r2 2:30:0:- 0 ", (string?)await db.HashGetAsync(keys[3], "i2"), StringComparison.Ordinal);
        Assert.StartsWith($"r2 5 0 {start + 1_000} ", (string?)await db.HashGetAsync(keys[3], "gone"), StringComparison.Ordinal);

        // A record without a lease from before the library is forgotten a horizon after the upgrade.
        _time.Advance(new CentralLedgerOptions().InstanceRecordHorizon);
        await ledger.GetAccountAsync(id);
        Assert.False(await db.HashExistsAsync(keys[3], "gone"));
    }

    [Fact]
    public async Task Reply_fields_are_named_alike_in_lua_and_csharp()
    {
        var reply = await redis.Connection.GetDatabase().ExecuteAsync("FCALL", Scripts.LedgerLibrary.Instance.ReplyFields.FunctionName, 0);
        var layouts = ((RedisResult[])reply!).Select(r => (RedisResult[])r!).ToDictionary(r => (string)r[0]!, r => ((string[])r[1]!).ToList());

        Assert.Equal(SnakeCase<Scripts.ScriptReplies.ExchangeField>(), layouts["exchange"]);
        Assert.Equal(SnakeCase<Scripts.ScriptReplies.AccountField>(), layouts["account"]);
        Assert.Equal(SnakeCase<Scripts.ScriptReplies.GrantField>(), layouts["grant"]);
    }

    [Fact]
    public async Task Keys_of_an_account_share_its_hash_tag()
    {
        var ledger = NewLedger();
        var id = NewAccountId();
        await ledger.UpsertAccountAsync(new AccountPolicy(id));
        await ledger.GrantAsync(new GrantSpec(id, "g1", 100));
        await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 10, MinAcceptable: 10));

        var keys = new List<string>();
        await foreach (var key in redis.Connection.GetServers()[0].KeysAsync(pattern: _prefix + ":*"))
        {
            keys.Add(key.ToString());
        }

        // events: the outbox, holding the first purchase's balance.recovered until a relay takes it.
        string[] expected = ["account", "events", "exchanges", "grants", "leases", "ledger"];
        Assert.Equal(expected.Select(k => $"{_prefix}:{{{id}}}:{k}"), keys.Order(StringComparer.Ordinal));
        Assert.Single(keys.Select(k => redis.Connection.HashSlot(k)).Distinct());
    }

    [Fact]
    public async Task Unreachable_redis_is_reported_as_unavailable()
    {
        var options = new RedisLedgerOptions
        {
            // Port 1 on loopback: nothing listens there, so connecting fails at once.
            ConnectionString = "127.0.0.1:1,connectTimeout=300,asyncTimeout=500,syncTimeout=500,connectRetry=0",
        };
        await using var ledger = await RedisLedger.ConnectAsync(options, _time);

        var e = await Assert.ThrowsAsync<QuotaException>(async () =>
            await ledger.ExchangeAsync(new LeaseExchange("acct", "i1", 1, Want: 1, MinAcceptable: 1)));

        Assert.Equal(QuotaError.Unavailable, e.Error);
        Assert.NotNull(e.InnerException);
        Assert.Contains("unavailable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ledger_that_connects_itself_works_and_closes_its_connection()
    {
        var options = new RedisLedgerOptions { ConnectionString = TestRedis.Standalone, KeyPrefix = _prefix };
        var id = NewAccountId();

        await using (var ledger = await RedisLedger.ConnectAsync(options, _time))
        {
            await ledger.UpsertAccountAsync(new AccountPolicy(id));
        }

        using var again = RedisLedger.Connect(options, _time);
        var view = await again.GetAccountAsync(id);

        Assert.NotNull(view);
        Assert.Equal(id, view.Policy.AccountId);
    }

    [Fact]
    public async Task Every_round_trip_is_counted_by_script()
    {
        // Both scripts cached first (another test flushes the cache), so each call below is one round trip.
        var warm = NewLedger();
        await warm.UpsertAccountAsync(new AccountPolicy("warm-up"));
        await warm.ExchangeAsync(new LeaseExchange("warm-up", "i1", 1));
        using var meters = new TestMeterFactory();
        using var collector = new MetricCollector<long>(meters, RedisLedger.MeterName, RedisLedger.CallsInstrumentName);
        var ledger = new RedisLedger(redis.Connection, Options(), _time, meters);
        var id = NewAccountId();

        await ledger.UpsertAccountAsync(new AccountPolicy(id));
        await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1));
        await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2));

        Assert.Equal(3, ledger.CallCount);
        var measurements = collector.GetMeasurementSnapshot();
        Assert.Equal(3, measurements.EvaluateAsCounter());
        Assert.Equal(2, measurements.ContainsTags(new KeyValuePair<string, object?>("script", "exchange")).EvaluateAsCounter());
    }

    [Fact]
    public async Task The_ledger_keeps_exactly_MaxLedgerEntries_like_the_embedded_ledger()
    {
        var central = new CentralLedgerOptions { MaxLedgerEntries = 3 };
        var ledger = NewLedger(central);
        var embedded = new EmbeddedLedger(central, _time);
        var id = NewAccountId();
        foreach (var l in new ICentralLedger[] { ledger, embedded })
        {
            await l.UpsertAccountAsync(new AccountPolicy(id));
            for (var i = 1; i <= 5; i++)
            {
                await l.GrantAsync(new GrantSpec(id, $"g{i}", i));
            }
        }

        var page = await ledger.ListEntriesAsync(id, null, 10);
        var expected = await embedded.ListEntriesAsync(id, null, 10);

        Assert.Equal([3L, 4L, 5L], page.Entries.Select(e => e.Amount));
        Assert.Equal(expected.Entries.Select(e => e.Amount), page.Entries.Select(e => e.Amount));
        Assert.Equal("", page.Next);
    }

    [Fact]
    public async Task Text_fields_with_spaces_and_json_characters_round_trip()
    {
        var ledger = NewLedger();
        var id = NewAccountId();
        var metadata = new Dictionary<string, string> { ["order id"] = "A 1 \"quoted\" {x}", ["note"] = "ünïcode ✓\nnext line", ["empty"] = "" };
        await ledger.UpsertAccountAsync(new AccountPolicy(id, Unit: "api call (batch) 1 2 3"));

        var grant = await ledger.GrantAsync(new GrantSpec(id, "g1", 100, Metadata: metadata));
        var again = await ledger.GrantAsync(new GrantSpec(id, "g1", 100, Metadata: new Dictionary<string, string>(metadata)));
        var first = await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 5, MinAcceptable: 5));
        await ledger.UpsertAccountAsync(new AccountPolicy(id, Unit: "other"));
        var retry = await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 5, MinAcceptable: 5));

        Assert.Equal(metadata, grant.Metadata);
        Assert.Equal(metadata, again.Metadata);
        Assert.Equal("api call (batch) 1 2 3", first.Policy!.Unit);
        Assert.Equal(first, retry); // the first answer, with the policy of that time
        var e = await Assert.ThrowsAsync<QuotaException>(async () =>
            await ledger.GrantAsync(new GrantSpec(id, "g1", 100, Metadata: new Dictionary<string, string> { ["order id"] = "B" })));
        Assert.Equal(QuotaError.AlreadyExists, e.Error);
    }

    [Fact]
    public async Task A_cursor_that_is_not_an_entry_id_is_invalid_and_unknown_accounts_are_not_found()
    {
        var ledger = NewLedger();
        var id = NewAccountId();
        await ledger.UpsertAccountAsync(new AccountPolicy(id));

        var invalid = await Assert.ThrowsAsync<QuotaException>(async () => await ledger.ListEntriesAsync(id, "not-an-id", 10));
        var missing = await Assert.ThrowsAsync<QuotaException>(async () => await ledger.ListGrantsAsync("nobody-" + id, true));
        var voidMissing = await Assert.ThrowsAsync<QuotaException>(async () => await ledger.VoidGrantAsync("nobody-" + id, "g"));

        Assert.Equal(QuotaError.InvalidArgument, invalid.Error);
        Assert.Contains("after", invalid.Message, StringComparison.Ordinal);
        Assert.Equal(QuotaError.NotFound, missing.Error);
        Assert.Equal($"account 'nobody-{id}' not found; create it with UpsertAccount first", missing.Message);
        Assert.Equal(QuotaError.NotFound, voidMissing.Error);
    }

    [Theory]
    [InlineData("quota{x}")]
    [InlineData("a b")]
    public void A_key_prefix_that_would_break_the_hash_tag_is_rejected(string prefix)
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new RedisLedger(redis.Connection, new RedisLedgerOptions { KeyPrefix = prefix }, _time));

        Assert.Contains("KeyPrefix", e.Message, StringComparison.Ordinal);
    }

    private static async Task<bool> LibraryLoadedAsync(IServer server)
    {
        var list = await server.ExecuteAsync("FUNCTION", "LIST", "LIBRARYNAME", Scripts.LedgerLibrary.Instance.Name);
        return ((RedisResult[])list!).Length > 0;
    }

    /// <summary>The enum's member names in order, as ledger.lua spells reply fields (OverageGranted -> overage_granted).</summary>
    private static List<string> SnakeCase<T>()
        where T : struct, Enum =>
        Enum.GetValues<T>().OrderBy(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture))
            .Select(v => string.Concat(v.ToString().Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString())))
            .ToList();

    private static string NewAccountId() => $"acct-{Guid.NewGuid():N}";

    private RedisLedgerOptions Options(CentralLedgerOptions? central = null) =>
        new() { KeyPrefix = _prefix, Central = central ?? new CentralLedgerOptions() };

    private RedisLedger NewLedger(CentralLedgerOptions? central = null) => new(redis.Connection, Options(central), _time);
}
