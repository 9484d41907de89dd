namespace QuotaSidecar.Baselines.Naive;

/// <summary>
/// The naive design's Lua: every decision is made centrally, one script per request, over two keys of one account
/// (its balance and one hold), both hash-tagged by account so they would share a cluster slot.
/// </summary>
internal static class NaiveScripts
{
    /// <summary>KEYS: balance, hold. ARGV: amount, hold ttl (ms). Returns {granted 0|1, balance after}.</summary>
    public const string Reserve = """
        local amount = tonumber(ARGV[1])
        local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
        if balance < amount then
          return {0, balance}
        end
        balance = redis.call('DECRBY', KEYS[1], amount)
        redis.call('SET', KEYS[2], amount, 'PX', ARGV[2])
        return {1, balance}
        """;

    /// <summary>KEYS: balance, hold. ARGV: actual amount. Returns {held (-1: no such hold), balance after}. The unused
    /// part of the hold goes back; usage above the hold is drawn from the balance.</summary>
    public const string Commit = """
        local held = tonumber(redis.call('GET', KEYS[2]) or '-1')
        if held < 0 then
          return {-1, tonumber(redis.call('GET', KEYS[1]) or '0')}
        end
        redis.call('DEL', KEYS[2])
        local balance = redis.call('INCRBY', KEYS[1], held - tonumber(ARGV[1]))
        return {held, balance}
        """;

    /// <summary>KEYS: balance. ARGV: amount. Returns {granted 0|1, balance after}.</summary>
    public const string Consume = """
        local amount = tonumber(ARGV[1])
        local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
        if balance < amount then
          return {0, balance}
        end
        return {1, redis.call('DECRBY', KEYS[1], amount)}
        """;
}
