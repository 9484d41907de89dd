using QuotaSidecar.LoadTest.Network;

namespace QuotaSidecar.LoadTest;

/// <summary>--proxy-check: what the delay proxy adds to a Redis round trip on this machine right now.</summary>
internal static class ProxyCheck
{
    public static async Task<int> RunAsync()
    {
        if (RedisServer.Find() is null)
        {
            Console.Error.WriteLine("redis-server is not on PATH");
            return 1;
        }

        var dir = Path.Combine(Path.GetTempPath(), $"quota-proxycheck-{Environment.ProcessId}");
        try
        {
            using var redis = await RedisServer.StartAsync(dir, ["--appendonly", "no"], CancellationToken.None);
            await using var proxy = DelayProxy.Start(redis.Port, TimeSpan.FromMilliseconds(1));
            for (var round = 0; round < 3; round++)
            {
                var direct = await RedisPing.MedianMicrosecondsAsync(redis.Port, 300, CancellationToken.None);
                var delayed = await RedisPing.MedianMicrosecondsAsync(proxy.Port, 300, CancellationToken.None);
                Console.WriteLine($"PING RTT p50: direct {direct:0} µs, through the 1 ms proxy {delayed:0} µs (added {delayed - direct:0} µs)");
            }

            return 0;
        }
        finally
        {
            ChildProcess.KillAll();
            Directory.Delete(dir, recursive: true);
        }
    }
}
