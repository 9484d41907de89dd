using System.Globalization;
using System.Runtime.CompilerServices;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Events;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Events;

/// <summary>
/// The balance events on Redis (docs/design.md#balance-events). The ledger's script writes each event to the
/// account's outbox stream in the call that decided it (one slot: works on Redis Cluster). <see cref="RelayAsync"/>
/// copies an outbox to the global stream with a script on the global stream's slot that adds each event id once
/// (a <c>seen</c> key with the retention as its TTL, then XADD), and only then deletes what it copied from the
/// outbox: a relay cut between the two is repeated by the next one, and the ids stop a second copy.
/// <see cref="SweepOnceAsync"/> finds outboxes nobody relayed (SCAN on each primary, bounded per call).
/// </summary>
public sealed class RedisEventLog : IEventLog
{
    private const int RelayBatch = 100;

    // KEYS[1] the global stream, KEYS[2..] one seen key per event; ARGV[1] now (ms), ARGV[2] retention (ms), then nine
    // fields per event. Stream ids follow the caller's clock, never going back (the stream's last id bounds them
    // from below, even after everything was trimmed); MINID trims what is older than the retention.
    private const string RelayScript = """
        local ms = tonumber(ARGV[1])
        if redis.call('EXISTS', KEYS[1]) == 1 then
          local info = redis.call('XINFO', 'STREAM', KEYS[1])
          for j = 1, #info, 2 do
            if info[j] == 'last-generated-id' then
              local last = tonumber(string.match(info[j + 1], '^(%d+)-'))
              if last > ms then ms = last end
            end
          end
        end
        local at = string.format('%d', ms)
        local minid = string.format('%d', ms - tonumber(ARGV[2]))
        local added = 0
        for i = 2, #KEYS do
          local a = 3 + (i - 2) * 9
          if redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[2]) then
            redis.call('XADD', KEYS[1], 'MINID', minid, at .. '-*', 'id', ARGV[a], 'type', ARGV[a + 1],
              'account', ARGV[a + 2], 'balance', ARGV[a + 3], 'threshold', ARGV[a + 4], 'at', ARGV[a + 5],
              'recharge_id', ARGV[a + 6], 'amount', ARGV[a + 7], 'grant_id', ARGV[a + 8])
            added = added + 1
          end
        end
        return added
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly string _keyPrefix;
    private readonly EventKeys _keys;
    private readonly EventOptions _options;
    private readonly TimeProvider _time;
    private readonly PrimaryScan _sweep;

    /// <param name="redis">The ledger's connection.</param>
    /// <param name="keyPrefix">The ledger's key prefix (<see cref="RedisLedgerOptions.KeyPrefix"/>).</param>
    /// <param name="options">Retention and bounds.</param>
    /// <param name="time">The clock: stream positions and retention follow it.</param>
    public RedisEventLog(IConnectionMultiplexer redis, string keyPrefix, EventOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        _redis = redis;
        _keyPrefix = keyPrefix;
        _keys = new EventKeys(keyPrefix);
        _sweep = new PrimaryScan(redis, _keys.Sweeper, _keys.OutboxPattern, "stream");
        _options = options ?? new EventOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Test hook: runs between a relay's copy and its trim (a test throws from it to cut the relay there, as
    /// a crash would).</summary>
    internal Func<Task>? BeforeTrim { get; set; }

    /// <summary>Copies the account's outbox to the global stream and empties it; returns how many events were new
    /// there (0 when another relay had copied them first).</summary>
    public async Task<int> RelayAsync(string accountId, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        return await RelayKeyAsync(EventKeys.Outbox(_keyPrefix, accountId), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One step of the sweep for outboxes no relay emptied: when this instance holds the sweeper lease (or takes it),
    /// SCANs the next <see cref="EventOptions.SweepCount"/> keys of each primary for account outboxes and relays the
    /// ones it finds. Returns the events it copied, or -1 when another instance is the sweeper.
    /// </summary>
    public async Task<int> SweepOnceAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        try
        {
            if (!await _sweep.HoldAsync(instanceId, _options.SweepInterval * 3).ConfigureAwait(false))
            {
                return -1;
            }

            var copied = 0;
            var (keys, _) = await _sweep.StepAsync(_options.SweepCount, cancellationToken).ConfigureAwait(false);
            foreach (var key in keys)
            {
                copied += await RelayKeyAsync(key, cancellationToken).ConfigureAwait(false);
            }

            return copied;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new QuotaException($"the Redis event stream is unavailable (sweep): {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public async ValueTask<EventPage> ListAsync(string? after, int limit, string? accountId, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 1000)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"limit must be between 1 and 1000 (got {limit})");
        }

        if (!string.IsNullOrEmpty(accountId))
        {
            Validation.AccountId(accountId, "account_id");
        }

        var cursor = EventCursor.Parse(after, "after");
        var page = new List<BalanceEvent>();
        var next = "";
        var scanned = 0;
        while (page.Count < limit && scanned < _options.MaxScan)
        {
            var count = string.IsNullOrEmpty(accountId) ? limit - page.Count : Math.Min(1000, _options.MaxScan - scanned);
            var entries = await RangeAsync(cursor, count, cancellationToken).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                scanned++;
                next = entry.Id!;
                cursor = EventCursor.Parse(next, "cursor");
                if (Parse(entry) is { } e && (string.IsNullOrEmpty(accountId) || e.AccountId == accountId))
                {
                    page.Add(e);
                    if (page.Count == limit)
                    {
                        break;
                    }
                }
            }

            if (entries.Length < count)
            {
                break;
            }
        }

        return new EventPage(page, next);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BalanceEvent> WatchAsync(string? after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var cursor = EventCursor.Parse(after, "after");
        while (true)
        {
            // StackExchange.Redis has no blocking reads on its shared connection: the watcher polls.
            var entries = await RangeAsync(cursor, 1000, cancellationToken).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                cursor = EventCursor.Parse(entry.Id!, "cursor");
                if (Parse(entry) is { } e)
                {
                    yield return e;
                }
            }

            if (entries.Length == 0)
            {
                await Task.Delay(_options.WatchPollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<StreamEntry[]> RangeAsync(EventCursor after, int count, CancellationToken cancellationToken)
    {
        try
        {
            var start = after == EventCursor.Zero ? "-" : "(" + after;
            return await _redis.GetDatabase().StreamRangeAsync(_keys.Stream, start, "+", count)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new QuotaException($"the Redis event stream is unavailable: {e.Message}", e);
        }
    }

    private async Task<int> RelayKeyAsync(RedisKey outbox, CancellationToken cancellationToken)
    {
        var db = _redis.GetDatabase();
        var copied = 0;
        try
        {
            while (true)
            {
                var entries = await db.StreamRangeAsync(outbox, "-", "+", RelayBatch).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (entries.Length == 0)
                {
                    return copied;
                }

                var keys = new RedisKey[1 + entries.Length];
                var args = new RedisValue[2 + (9 * entries.Length)];
                keys[0] = _keys.Stream;
                args[0] = _time.GetUtcNow().ToUnixTimeMilliseconds();
                args[1] = (long)_options.Retention.TotalMilliseconds;
                var ids = new RedisValue[entries.Length];
                for (var i = 0; i < entries.Length; i++)
                {
                    var e = entries[i];
                    ids[i] = e.Id;
                    keys[1 + i] = _keys.Seen((string)e["id"]!);
                    var a = 2 + (9 * i);
                    args[a] = e["id"];
                    args[a + 1] = e["type"];
                    args[a + 2] = e["account"];
                    args[a + 3] = e["balance"];
                    args[a + 4] = e["threshold"];
                    args[a + 5] = e["at"];
                    args[a + 6] = e["recharge_id"].IsNull ? "" : e["recharge_id"];
                    args[a + 7] = e["amount"].IsNull ? 0 : e["amount"];
                    args[a + 8] = e["grant_id"].IsNull ? "" : e["grant_id"];
                }

                copied += (int)await db.ScriptEvaluateAsync(RelayScript, keys, args).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (BeforeTrim is { } crash)
                {
                    await crash().ConfigureAwait(false);
                }

                await db.StreamDeleteAsync(outbox, ids).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (entries.Length < RelayBatch)
                {
                    return copied;
                }
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new QuotaException($"the Redis event stream is unavailable (relay of {outbox}): {e.Message}", e);
        }
    }

    internal static BalanceEvent? Parse(StreamEntry entry)
    {
        if (!BalanceEventTypes.TryParse((string?)entry["type"] ?? "", out var type))
        {
            return null; // written by a newer version: not this one's to show
        }

        return new BalanceEvent(
            (string)entry["id"]!,
            type,
            (string)entry["account"]!,
            (long)entry["balance"],
            (long)entry["threshold"],
            DateTimeOffset.FromUnixTimeMilliseconds((long)entry["at"]),
            entry["cursor"].IsNull ? (string)entry.Id! : (string)entry["cursor"]!,
            entry["recharge_id"].IsNull ? "" : (string)entry["recharge_id"]!,
            entry["amount"].IsNull ? 0 : (long)entry["amount"],
            entry["grant_id"].IsNull ? "" : (string)entry["grant_id"]!);
    }
}
