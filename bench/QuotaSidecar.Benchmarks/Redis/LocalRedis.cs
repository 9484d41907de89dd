using System.Globalization;
using System.Net.Sockets;
using System.Text;
using QuotaSidecar.Testing.Processes;

namespace QuotaSidecar.Benchmarks.Redis;

/// <summary>
/// The Redis the Redis benchmarks use: <c>QUOTA_BENCH_REDIS</c> (host:port) when set, else test.sh's
/// <c>QUOTA_TEST_REDIS</c>, else a private <c>redis-server</c> this process starts (no persistence, a free port) and
/// stops at exit. The endpoint is passed to BenchmarkDotNet's benchmark processes through the environment.
/// </summary>
internal static class LocalRedis
{
    public const string Variable = "QUOTA_BENCH_REDIS";
    private static RedisServer? s_server;

    /// <summary>A reachable endpoint, or null.</summary>
    public static string? Endpoint => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } e ? e : null;

    /// <summary>Finds or starts a Redis; returns why there is none otherwise.</summary>
    public static string? Prepare()
    {
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable(Variable), Environment.GetEnvironmentVariable("QUOTA_TEST_REDIS") })
        {
            if (candidate is { Length: > 0 } && Ping(candidate))
            {
                Environment.SetEnvironmentVariable(Variable, candidate);
                return null;
            }
        }

        if (RedisServer.Find() is null)
        {
            return $"no Redis: {Variable} and QUOTA_TEST_REDIS are unset or unreachable and redis-server is not on PATH";
        }

        try
        {
            s_server = RedisServer.StartAsync("--appendonly", "no").GetAwaiter().GetResult();
        }
        catch (TimeoutException e)
        {
            return $"no Redis: the redis-server started here did not answer PING: {e.Message}";
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        Environment.SetEnvironmentVariable(Variable, s_server.Endpoint);
        return null;
    }

    public static void Stop() => s_server?.Dispose();

    private static bool Ping(string endpoint)
    {
        try
        {
            var colon = endpoint.LastIndexOf(':');
            using var client = new TcpClient();
            if (!client.ConnectAsync(endpoint[..colon], int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture)).Wait(1000))
            {
                return false;
            }

            var stream = client.GetStream();
            stream.ReadTimeout = 1000;
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            var n = stream.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or FormatException or AggregateException)
        {
            return false;
        }
    }
}
