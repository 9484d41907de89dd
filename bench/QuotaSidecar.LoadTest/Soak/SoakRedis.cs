using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace QuotaSidecar.LoadTest.Soak;

/// <summary>
/// The soak's own redis-server (no persistence) on the first free port of a fixed range, so it never collides with
/// the Redis servers other people on the machine use; and its <c>used_memory</c>, read with INFO.
/// </summary>
internal sealed class SoakRedis : IDisposable
{
    private readonly ChildProcess _process;

    private SoakRedis(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    public static async Task<SoakRedis> StartAsync(string executable, int firstPort, int lastPort, string directory, CancellationToken cancellationToken)
    {
        var port = FirstFreePort(firstPort, lastPort)
            ?? throw new InvalidOperationException($"no free port in {firstPort}-{lastPort} for the soak's redis-server (pass --redis-ports FIRST-LAST)");
        var data = Path.Combine(directory, "soak-redis-data");
        Directory.CreateDirectory(data);
        var process = ChildProcess.Start(
            "soak-redis-server",
            executable,
            ["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", data],
            null,
            directory);
        var redis = new SoakRedis(process, port);
        try
        {
            await Wait.UntilAsync(
                async () => await redis.UsedMemoryMiBAsync(cancellationToken) is not null,
                TimeSpan.FromSeconds(10),
                () => $"redis-server did not answer on {redis.Endpoint}:\n{process.Tail()}",
                cancellationToken);
        }
        catch
        {
            redis.Dispose();
            throw;
        }

        return redis;
    }

    /// <summary>Redis's <c>used_memory</c> (bytes its allocator holds for data and overhead), MiB; null if it does not answer.</summary>
    public async Task<double?> UsedMemoryMiBAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync("INFO memory\r\n"u8.ToArray(), timeout.Token);
        // The reply is one bulk string of a few KB; read until the line we need has arrived.
        var text = new StringBuilder();
        var buffer = new byte[8192];
        while (text.Length < 65536)
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
            // The last piece may be a line still arriving: only complete lines are read.
            var lines = text.ToString().Split("\r\n");
            foreach (var line in lines.AsSpan(0, lines.Length - 1))
            {
                if (line.StartsWith("used_memory:", StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan("used_memory:".Length), NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes))
                {
                    return bytes / (1024.0 * 1024.0);
                }
            }
        }

        return null;
    }

    public void Dispose() => _process.Dispose();

    private static int? FirstFreePort(int first, int last)
    {
        for (var port = first; port <= last; port++)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        return null;
    }
}
