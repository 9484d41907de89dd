using StackExchange.Redis;

namespace QuotaSidecar.Redis.Tests;

/// <summary>One connection to the standalone test Redis per test class; removes the class's keys at the end.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private ConnectionMultiplexer? _connection;

    public IConnectionMultiplexer Connection =>
        _connection ?? throw new InvalidOperationException("the fixture is not initialized");

    /// <summary>The key prefix of this test class (each ledger may add its own below it).</summary>
    public string KeyPrefix { get; } = TestRedis.NewKeyPrefix();

    public async Task InitializeAsync() =>
        _connection = await TestRedis.ConnectAsync(
            TestRedis.Standalone,
            "QUOTA_TEST_REDIS",
            "redis-server --bind 127.0.0.1 --port 6391 --daemonize yes --save '' --appendonly no");

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await TestRedis.DeleteKeysAsync(_connection, KeyPrefix);
            await _connection.DisposeAsync();
        }
    }
}
