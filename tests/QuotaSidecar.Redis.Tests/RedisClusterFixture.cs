using StackExchange.Redis;

namespace QuotaSidecar.Redis.Tests;

/// <summary>One connection to the 3-master test cluster (scripts/redis-cluster.sh) per test class.</summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    private ConnectionMultiplexer? _connection;

    public IConnectionMultiplexer Connection =>
        _connection ?? throw new InvalidOperationException("the fixture is not initialized");

    public string KeyPrefix { get; } = TestRedis.NewKeyPrefix();

    public async Task InitializeAsync()
    {
        _connection = await TestRedis.ConnectAsync(
            TestRedis.Cluster, "QUOTA_TEST_REDIS_CLUSTER", "scripts/redis-cluster.sh start");
        var primaries = _connection.GetServers().Count(s => s.IsConnected && !s.IsReplica && s.ServerType == ServerType.Cluster);
        if (primaries < 3)
        {
            throw new InvalidOperationException(
                $"{TestRedis.Cluster} is not a 3-master Redis Cluster ({primaries} cluster primaries found); run scripts/redis-cluster.sh start");
        }
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await TestRedis.DeleteKeysAsync(_connection, KeyPrefix);
            await _connection.DisposeAsync();
        }
    }
}
