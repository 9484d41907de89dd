using System.Globalization;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Events;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Events;

/// <summary>
/// Webhook delivery on Redis (docs/design.md#webhooks): one consumer group (<c>webhooks</c>) on the global event stream
/// and on the redeliver stream, one consumer per sidecar instance. XREADGROUP gives each new event to one sidecar;
/// XAUTOCLAIM takes over an event left idle longer than the claim time (its sidecar died mid-delivery), with the same
/// id; XACK after a 2xx. Attempts are counted centrally, so a takeover continues the count. The group is made at the
/// stream's end: events from before webhooks were configured are not sent.
/// </summary>
public sealed class RedisDeliveryQueue : IEventDeliveryQueue
{
    private const string Group = "webhooks";

    // KEYS[1] the stream the event came from, KEYS[2] failed, KEYS[3] attempts; ARGV[1] entry id, ARGV[2] event id,
    // then field/value pairs. One step: the event is in the failed list exactly when it left the group's pending list.
    private const string FailScript = """
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
        redis.call('XACK', KEYS[1], 'webhooks', ARGV[1])
        redis.call('HDEL', KEYS[3], ARGV[2])
        return 1
        """;

    // KEYS[1] failed, KEYS[2] redeliver; ARGV[1] the failed entry id, then field/value pairs of the event.
    private const string RedeliverScript = """
        if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
        redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
        return 1
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly EventKeys _keys;
    private readonly TimeProvider _time;
    private volatile bool _groupsMade;

    public RedisDeliveryQueue(IConnectionMultiplexer redis, string keyPrefix, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        _redis = redis;
        _keys = new EventKeys(keyPrefix);
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EventDelivery>> TakeAsync(string consumer, int max, TimeSpan claimIdle, CancellationToken cancellationToken = default)
    {
        var db = _redis.GetDatabase();
        return await Run(async () =>
        {
            await EnsureGroupsAsync(db).ConfigureAwait(false);
            var taken = new List<EventDelivery>();
            foreach (var stream in new[] { _keys.Stream, _keys.Redeliver })
            {
                var claimed = await db.StreamAutoClaimAsync(stream, Group, consumer, (long)claimIdle.TotalMilliseconds, "0-0", max - taken.Count).ConfigureAwait(false);
                Add(taken, stream, claimed.ClaimedEntries);
                if (taken.Count >= max)
                {
                    return taken;
                }
            }

            var fresh = await db.StreamReadGroupAsync(
                [new StreamPosition(_keys.Stream, StreamPosition.NewMessages), new StreamPosition(_keys.Redeliver, StreamPosition.NewMessages)],
                Group, consumer, max - taken.Count).ConfigureAwait(false);
            foreach (var stream in fresh)
            {
                Add(taken, stream.Key, stream.Entries);
            }

            return taken;
        }).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> AttemptAsync(EventDelivery delivery, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var (stream, entry) = Handle(delivery);
        var db = _redis.GetDatabase();
        return await Run(async () =>
        {
            // Resets the entry's idle time: a sidecar still working on it keeps it.
            await db.StreamClaimIdsOnlyAsync(stream, Group, consumer, 0, [entry]).ConfigureAwait(false);
            return await db.HashIncrementAsync(_keys.Attempts, delivery.Event.Id).ConfigureAwait(false);
        }).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DeliveredAsync(EventDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var (stream, entry) = Handle(delivery);
        var db = _redis.GetDatabase();
        await Run(async () =>
        {
            await db.StreamAcknowledgeAsync(stream, Group, entry).ConfigureAwait(false);
            await db.HashDeleteAsync(_keys.Attempts, delivery.Event.Id).ConfigureAwait(false);
            if (stream == _keys.Redeliver)
            {
                await db.StreamDeleteAsync(stream, [entry]).ConfigureAwait(false);
            }

            return true;
        }).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task FailedAsync(EventDelivery delivery, long attempts, string lastError, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var (stream, entry) = Handle(delivery);
        var args = new List<RedisValue> { entry, delivery.Event.Id, IEventDeliveryQueue.MaxFailedKept };
        args.AddRange(Fields(delivery.Event));
        args.AddRange(["attempts", attempts, "error", lastError, "failed_at", _time.GetUtcNow().ToUnixTimeMilliseconds()]);
        var db = _redis.GetDatabase();
        await Run(() => db.ScriptEvaluateAsync(FailScript, [stream, _keys.Failed, _keys.Attempts], [.. args]))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FailedDelivery>> ListFailedAsync(int limit, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 1000)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"limit must be between 1 and 1000 (got {limit})");
        }

        var db = _redis.GetDatabase();
        var entries = await Run(() => db.StreamRangeAsync(_keys.Failed, "-", "+", limit, Order.Descending)).WaitAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<FailedDelivery>();
        foreach (var e in entries)
        {
            if (Parse(e) is { } ev)
            {
                list.Add(new FailedDelivery(ev, (long)e["attempts"], (string?)e["error"] ?? "", DateTimeOffset.FromUnixTimeMilliseconds((long)e["failed_at"])));
            }
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<bool> RedeliverAsync(string eventId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        var db = _redis.GetDatabase();
        var entries = await Run(() => db.StreamRangeAsync(_keys.Failed, "-", "+", IEventDeliveryQueue.MaxFailedKept)).WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var e in entries)
        {
            if ((string?)e["id"] == eventId && Parse(e) is { } ev)
            {
                var args = new List<RedisValue> { e.Id };
                args.AddRange(Fields(ev));
                var moved = await Run(() => db.ScriptEvaluateAsync(RedeliverScript, [_keys.Failed, _keys.Redeliver], [.. args]))
                    .WaitAsync(cancellationToken).ConfigureAwait(false);
                return (long)moved == 1;
            }
        }

        return false;
    }

    internal static BalanceEvent? Parse(StreamEntry entry) => RedisEventLog.Parse(entry);

    private static RedisValue[] Fields(BalanceEvent e) =>
    [
        "id", e.Id, "type", BalanceEventTypes.Name(e.Type), "account", e.AccountId, "balance", e.Balance,
        "threshold", e.Threshold, "at", e.At.ToUnixTimeMilliseconds(), "cursor", e.Cursor, "recharge_id", e.RechargeId,
        "amount", e.Amount, "grant_id", e.GrantId,
    ];

    private void Add(List<EventDelivery> taken, RedisKey stream, StreamEntry[] entries)
    {
        var tag = stream == _keys.Redeliver ? "r:" : "s:";
        foreach (var entry in entries)
        {
            if (!entry.IsNull && Parse(entry) is { } e)
            {
                taken.Add(new EventDelivery(entry["cursor"].IsNull ? e : e with { Cursor = (string)entry["cursor"]! }, tag + entry.Id));
            }
        }
    }

    private (RedisKey Stream, RedisValue Entry) Handle(EventDelivery delivery) =>
        delivery.Handle.StartsWith("r:", StringComparison.Ordinal)
            ? (_keys.Redeliver, delivery.Handle[2..])
            : (_keys.Stream, delivery.Handle[2..]);

    private async Task EnsureGroupsAsync(IDatabase db)
    {
        if (_groupsMade)
        {
            return;
        }

        foreach (var (stream, from) in new[] { (_keys.Stream, "$"), (_keys.Redeliver, "0") })
        {
            try
            {
                await db.StreamCreateConsumerGroupAsync(stream, Group, from, createStream: true).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
            {
                // Made by another sidecar (or an earlier start): it keeps its position.
            }
        }

        _groupsMade = true;
    }

    private static async Task<T> Run<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new QuotaException($"the Redis event stream is unavailable (webhook delivery): {e.Message}", e);
        }
    }
}
