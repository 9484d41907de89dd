using StackExchange.Redis;

namespace QuotaSidecar.Redis.Events;

/// <summary>
/// The keys of the global event stream. They share the hash tag <c>{#events}</c> (a <c>#</c> is never in an account
/// id, so no account's keys can share it), so the relay script that deduplicates and appends touches one slot.
/// </summary>
internal sealed class EventKeys
{
    public EventKeys(string prefix)
    {
        Root = prefix.Length == 0 ? "{#events}:" : prefix + ":{#events}:";
        Stream = Root + "stream";
        Sweeper = Root + "sweeper";
        Redeliver = Root + "redeliver";
        Failed = Root + "failed";
        Attempts = Root + "attempts";
        OutboxPattern = (prefix.Length == 0 ? "" : prefix + ":") + "{*}:events";
        ExpiryPass = Root + "expiry_pass";
        AccountPattern = (prefix.Length == 0 ? "" : prefix + ":") + "{*}:account";
    }

    public string Root { get; }

    /// <summary>The global stream: every relayed event once, ids <c>&lt;ms&gt;-&lt;n&gt;</c>, trimmed by retention.</summary>
    public RedisKey Stream { get; }

    /// <summary>Which sidecar sweeps for unrelayed outboxes now (a short lease, so one of a fleet does).</summary>
    public RedisKey Sweeper { get; }

    /// <summary>Failed events sent back to delivery (a stream the webhook consumer group reads too).</summary>
    public RedisKey Redeliver { get; }

    /// <summary>Events whose webhook ran out of attempts (a stream, newest last).</summary>
    public RedisKey Failed { get; }

    /// <summary>Hash: event id → attempts so far, over every sidecar.</summary>
    public RedisKey Attempts { get; }

    /// <summary>SCAN MATCH pattern of every account's outbox (<see cref="AccountKeys"/>, the 8th key).</summary>
    public string OutboxPattern { get; }

    /// <summary>Which sidecar runs the expiry pass now (a short lease, like <see cref="Sweeper"/>).</summary>
    public RedisKey ExpiryPass { get; }

    /// <summary>SCAN MATCH pattern of every account's hash (<see cref="AccountKeys"/>, the 1st key).</summary>
    public string AccountPattern { get; }

    /// <summary>An account's outbox: the events key of <see cref="AccountKeys"/> (found by name, not position, so the key
    /// list can grow).</summary>
    public static RedisKey Outbox(string prefix, string accountId) =>
        AccountKeys.For(prefix, accountId).Single(k => ((string)k!).EndsWith("}:events", StringComparison.Ordinal));

    /// <summary>Marks an event id as copied to the stream, for the retention.</summary>
    public RedisKey Seen(string eventId) => Root + "seen:" + eventId;
}
