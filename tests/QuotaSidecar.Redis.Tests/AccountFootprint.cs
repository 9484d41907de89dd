using StackExchange.Redis;

namespace QuotaSidecar.Redis.Tests;

/// <summary>What Redis keeps for one account: every field of its hashes, every entry of its stream, and each key.</summary>
internal static class AccountFootprint
{
    public static async ValueTask<long> SizeAsync(IConnectionMultiplexer redis, string keyPrefix, string accountId)
    {
        var db = redis.GetDatabase();
        long size = 0;
        foreach (var key in AccountKeys.For(keyPrefix, accountId))
        {
            var type = await db.KeyTypeAsync(key);
            size += type switch
            {
                RedisType.None => 0,
                RedisType.Hash => 1 + await db.HashLengthAsync(key),
                RedisType.Stream => 1 + await db.StreamLengthAsync(key),
                _ => throw new InvalidOperationException($"unexpected {type} at {key}"),
            };
        }

        return size;
    }
}
