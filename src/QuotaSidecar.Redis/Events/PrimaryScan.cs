using System.Globalization;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Events;

/// <summary>
/// A keyspace walk done by one sidecar of the fleet at a time, a bounded step at a time: the event sweep and the
/// expiry pass. The walker holds a short lease key (taken when free, renewed while held); each step SCANs the next
/// <c>count</c> keys of every connected primary (each primary of a Redis Cluster), from where the last step stopped.
/// Not thread-safe: one caller steps it at a time.
/// </summary>
internal sealed class PrimaryScan(IConnectionMultiplexer redis, RedisKey leaseKey, string pattern, string type)
{
    private readonly Dictionary<string, long> _cursors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _wrapped = new(StringComparer.Ordinal);

    /// <summary>Takes the lease or renews it when this instance holds it; false when another instance does.</summary>
    public async Task<bool> HoldAsync(string instanceId, TimeSpan lease)
    {
        var db = redis.GetDatabase();
        if (await db.StringSetAsync(leaseKey, instanceId, lease, When.NotExists).ConfigureAwait(false))
        {
            return true;
        }

        if (await db.StringGetAsync(leaseKey).ConfigureAwait(false) != instanceId)
        {
            return false;
        }

        await db.KeyExpireAsync(leaseKey, lease).ConfigureAwait(false);
        return true;
    }

    /// <summary>One SCAN step of <paramref name="count"/> keys on each connected primary: the keys it found, and
    /// whether this step finished a whole pass (every primary's cursor came back to 0 since the last one).</summary>
    public async Task<(List<RedisKey> Keys, bool PassDone)> StepAsync(int count, CancellationToken cancellationToken)
    {
        var keys = new List<RedisKey>();
        var primaries = 0;
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            primaries++;
            var name = endpoint.ToString() ?? "";
            _cursors.TryGetValue(name, out var cursor);
            var reply = (RedisResult[])(await server.ExecuteAsync(
                "SCAN", cursor, "MATCH", pattern, "COUNT", count, "TYPE", type).WaitAsync(cancellationToken).ConfigureAwait(false))!;
            cursor = long.Parse((string)reply[0]!, CultureInfo.InvariantCulture);
            _cursors[name] = cursor;
            if (cursor == 0)
            {
                _wrapped.Add(name);
            }

            keys.AddRange((RedisKey[])reply[1]!);
        }

        var done = primaries > 0 && _wrapped.Count >= primaries;
        if (done)
        {
            _wrapped.Clear();
        }

        return (keys, done);
    }
}
