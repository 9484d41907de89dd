using System.Net.Sockets;
using System.Text;

namespace QuotaSidecar.FaultTests;

/// <summary>The harness's black hole does what the blackhole scenario says it does: open connections stall and resume
/// in order, new ones are accepted and never answered.</summary>
public sealed class DelayProxyBlackholeTests
{
    private static readonly TimeSpan Silence = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Blackhole_stalls_open_connections_until_healed_and_never_answers_connections_made_meanwhile()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var proxy = DelayProxy.Start(redis.Port);
        using var open = await ConnectAsync(proxy.Port);
        Assert.Equal("+PONG", await PingAsync(open, TimeSpan.FromSeconds(5)));

        proxy.Blackhole = true;
        Assert.Null(await PingAsync(open, Silence));
        using var late = await ConnectAsync(proxy.Port); // accepted: the connect succeeds
        Assert.Null(await PingAsync(late, Silence));

        proxy.Blackhole = false;
        // The stalled PING goes through now, then a new one: both answers, in order.
        Assert.Equal("+PONG", await ReadLineAsync(open, TimeSpan.FromSeconds(5)));
        Assert.Equal("+PONG", await PingAsync(open, TimeSpan.FromSeconds(5)));
        Assert.Null(await PingAsync(late, Silence));
        Assert.Equal(1, proxy.SwallowedConnections);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port).WaitAsync(TimeSpan.FromSeconds(5));
        return socket;
    }

    /// <summary>Sends PING and returns the reply line, or null if none came within <paramref name="timeout"/>.</summary>
    private static async Task<string?> PingAsync(Socket socket, TimeSpan timeout)
    {
        await socket.SendAsync("PING\r\n"u8.ToArray());
        return await ReadLineAsync(socket, timeout);
    }

    private static async Task<string?> ReadLineAsync(Socket socket, TimeSpan timeout)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await socket.ReceiveAsync(one, SocketFlags.None, cts.Token) == 1)
            {
                if (one[0] == '\n')
                {
                    return line.ToString().TrimEnd('\r');
                }

                line.Append((char)one[0]);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }
}
