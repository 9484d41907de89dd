using System.Globalization;
using QuotaSidecar.Baselines.Stats;
using StackExchange.Redis;

namespace QuotaSidecar.Baselines.Naive;

/// <summary>
/// The naive design's store access: one EVALSHA per request (with one reload and retry on NOSCRIPT), counted.
/// </summary>
internal sealed class NaiveStore(IConnectionMultiplexer redis, HandlerStats stats) : IDisposable
{
    private readonly IDatabase _db = redis.GetDatabase();
    private byte[] _reserve = [];
    private byte[] _commit = [];
    private byte[] _consume = [];

    public async Task LoadScriptsAsync()
    {
        var server = redis.GetServers()[0];
        _reserve = await server.ScriptLoadAsync(NaiveScripts.Reserve);
        _commit = await server.ScriptLoadAsync(NaiveScripts.Commit);
        _consume = await server.ScriptLoadAsync(NaiveScripts.Consume);
    }

    /// <summary>Sets an account's balance (the load tool's set-up; no script).</summary>
    public Task SeedAsync(string account, long credits) => _db.StringSetAsync(BalanceKey(account), credits);

    public static RedisKey BalanceKey(string account) => "{" + account + "}:naive:balance";

    public static RedisKey HoldKey(string account, string hold) => "{" + account + "}:naive:hold:" + hold;

    public Task<RedisResult> ReserveAsync(string account, string hold, long amount, long ttlMs) =>
        EvalAsync(_reserve, NaiveScripts.Reserve, [BalanceKey(account), HoldKey(account, hold)], [amount, ttlMs]);

    public Task<RedisResult> CommitAsync(string account, string hold, long amount) =>
        EvalAsync(_commit, NaiveScripts.Commit, [BalanceKey(account), HoldKey(account, hold)], [amount]);

    public Task<RedisResult> ConsumeAsync(string account, long amount) =>
        EvalAsync(_consume, NaiveScripts.Consume, [BalanceKey(account)], [amount]);

    public void Dispose() => redis.Dispose();

    private async Task<RedisResult> EvalAsync(byte[] sha, string script, RedisKey[] keys, RedisValue[] values)
    {
        stats.RedisCall();
        try
        {
            return await _db.ScriptEvaluateAsync(sha, keys, values);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // The script cache was flushed (restart, SCRIPT FLUSH): load it again and retry once.
            stats.RedisCall();
            var server = redis.GetServers()[0];
            var reloaded = await server.ScriptLoadAsync(script);
            return await _db.ScriptEvaluateAsync(reloaded, keys, values);
        }
    }

    public static long Long(RedisResult result, int index) => (long)((RedisResult[])result!)[index];

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
