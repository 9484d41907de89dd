using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace QuotaSidecar.Benchmarks.Redis;

/// <summary>
/// The Redis the Redis benchmarks use: <c>QUOTA_BENCH_REDIS</c> (host:port) when set, else test.sh's
/// <c>QUOTA_TEST_REDIS</c>, else a private <c>redis-server</c> this process starts (no persistence, a free port) and
/// stops at exit. The endpoint is passed to BenchmarkDotNet's benchmark processes through the environment.
/// </summary>
internal static class LocalRedis
{
    public const string Variable = "QUOTA_BENCH_REDIS";
    private static Process? s_server;

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

        var executable = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server")).FirstOrDefault(File.Exists);
        if (executable is null)
        {
            return $"no Redis: {Variable} and QUOTA_TEST_REDIS are unset or unreachable and redis-server is not on PATH";
        }

        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--daemonize", "no" })
        {
            info.ArgumentList.Add(arg);
        }

        s_server = Process.Start(info);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        var endpoint = $"127.0.0.1:{port}";
        for (var i = 0; i < 50; i++)
        {
            if (Ping(endpoint))
            {
                Environment.SetEnvironmentVariable(Variable, endpoint);
                return null;
            }

            Thread.Sleep(100);
        }

        Stop();
        return $"no Redis: the redis-server started on {endpoint} did not answer PING";
    }

    public static void Stop()
    {
        try
        {
            if (s_server is { HasExited: false })
            {
                s_server.Kill();
                s_server.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

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
