using StackExchange.Redis;

namespace QuotaSidecar.Redis.Tests;

/// <summary>Where the test Redis servers are, and a connection that fails with instructions when they are not there.</summary>
internal static class TestRedis
{
    public static string Standalone =>
        Environment.GetEnvironmentVariable("QUOTA_TEST_REDIS") is { Length: > 0 } s ? s : "127.0.0.1:6391";

    public static string Cluster =>
        Environment.GetEnvironmentVariable("QUOTA_TEST_REDIS_CLUSTER") is { Length: > 0 } s
            ? s
            : "127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103";

    /// <summary>A key prefix no other test uses, so tests never see each other's keys.</summary>
    public static string NewKeyPrefix() => $"test-{Guid.NewGuid():N}";

    /// <summary>Connects, or throws a message that says how to get the server the tests need (never a skip).</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(string endpoints, string variable, string howToStart)
    {
        var config = ConfigurationOptions.Parse(endpoints);
        config.AbortOnConnectFail = true;
        config.ConnectTimeout = 3000;
        config.AllowAdmin = true; // SCRIPT FLUSH, SCAN for cleanup
        try
        {
            var connection = await ConnectionMultiplexer.ConnectAsync(config);
            await connection.GetDatabase().PingAsync();
            return connection;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"Redis is not reachable at {endpoints} (env {variable}). Run ./test.sh, which installs and starts it, or {howToStart}. ({e.Message})",
                e);
        }
    }

    /// <summary>Deletes every key under the prefix on every primary.</summary>
    public static async Task DeleteKeysAsync(IConnectionMultiplexer connection, string prefix)
    {
        foreach (var server in connection.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }

            var keys = new List<RedisKey>();
            await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 1000))
            {
                keys.Add(key);
            }

            // One key per call: in a cluster, keys of different accounts live in different slots.
            foreach (var key in keys)
            {
                await connection.GetDatabase().KeyDeleteAsync(key);
            }
        }
    }
}
