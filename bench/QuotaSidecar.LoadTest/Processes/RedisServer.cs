using System.Net.Sockets;
using System.Text;

namespace QuotaSidecar.LoadTest.Processes;

/// <summary>A private redis-server on 127.0.0.1 (no persistence), started as a child process when one is installed.</summary>
internal sealed class RedisServer : IDisposable
{
    private readonly ChildProcess _process;

    private RedisServer(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public int Pid => _process.Pid;

    /// <summary>The redis-server on PATH, or null.</summary>
    public static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static async Task<RedisServer> StartAsync(string executable, string logDirectory, CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var dir = Path.Combine(logDirectory, "redis-data");
        Directory.CreateDirectory(dir);
        var process = ChildProcess.Start(
            "redis-server",
            executable,
            ["--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir],
            null,
            logDirectory);
        var server = new RedisServer(process, port);
        await Wait.UntilAsync(() => server.PingAsync(cancellationToken), TimeSpan.FromSeconds(10), () => $"redis-server did not answer PING on {server.Endpoint}:\n{process.Tail()}", cancellationToken);
        return server;
    }

    public void Dispose() => _process.Dispose();

    private async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
        var buffer = new byte[16];
        var n = await stream.ReadAsync(buffer, cancellationToken);
        return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
    }
}
