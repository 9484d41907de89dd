using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace QuotaSidecar.Testing.Network;

/// <summary>
/// A TCP forwarder on 127.0.0.1 that adds latency: every chunk read from either side is written to the other side
/// <see cref="Delay"/> after it arrived, in order. Servers pointed at it see a "remote" Redis on the same machine; the
/// delay can be switched at run time, for a network latency spike without touching the server, and so can
/// <see cref="Blackhole"/>, for a network that swallows everything.
/// </summary>
public sealed class DelayProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accept;
    private readonly DelayLine _line = new("redis-delay-proxy");
    private readonly Lock _blackholeGate = new();
    private readonly List<(Socket To, byte[]? Data)> _stalled = [];
    private bool _blackhole;
    private int _swallowed;
    private long _delayTicks;

    private DelayProxy(IPEndPoint target, TimeSpan delay)
    {
        _target = target;
        Delay = delay;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = AcceptLoopAsync();
    }

    /// <summary>The latency added to each chunk from now on (chunks already read keep theirs).</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <summary>
    /// While true the proxy is a black hole, as a network that drops every packet looks to the client once its
    /// connection is up: a new connection is accepted and read, never forwarded nor answered (it stays so until its
    /// client closes it, even after the switch goes off), and the chunks of existing connections, both ways, are held:
    /// nothing delivered, nothing lost. Switched off, the held chunks go on in order (as TCP retransmits after a
    /// partition heals), then the delay applies again.
    /// </summary>
    public bool Blackhole
    {
        get
        {
            lock (_blackholeGate)
            {
                return _blackhole;
            }
        }

        set
        {
            lock (_blackholeGate)
            {
                _blackhole = value;
                if (!value)
                {
                    var now = Stopwatch.GetTimestamp();
                    foreach (var (to, data) in _stalled)
                    {
                        _line.Enqueue(now, to, data);
                    }

                    _stalled.Clear();
                }
            }
        }
    }

    /// <summary>Connections accepted while <see cref="Blackhole"/> was on (each one a client's attempt to reconnect).</summary>
    public int SwallowedConnections => Volatile.Read(ref _swallowed);

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>A proxy on a free port in front of <paramref name="targetPort"/> on 127.0.0.1.</summary>
    public static DelayProxy Start(int targetPort, TimeSpan delay = default) => new(new IPEndPoint(IPAddress.Loopback, targetPort), delay);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        try
        {
            await Task.WhenAll([_accept, .. connections]).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or TimeoutException or ObjectDisposedException)
        {
        }

        _line.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var connection = Blackhole ? SwallowAsync(client) : ServeAsync(client);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(connection);
            }
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var _ = client;
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(_target, _stop.Token);

            // Each direction is read by its own real-time thread (like the delay line that sends), so a chunk's
            // arrival time is taken when it arrives, not when a busy thread pool gets to it. Each direction ends at
            // its source's end of stream (passed on, delayed, as a half close); the sockets are closed once both
            // have ended and the last delayed chunk has gone.
            await Task.WhenAll(Pump(client, server), Pump(server, client));
            await Task.Delay(Delay + TimeSpan.FromMilliseconds(50), _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>A connection accepted in <see cref="Blackhole"/> mode: read and dropped until its client closes it.</summary>
    private async Task SwallowAsync(Socket client)
    {
        Interlocked.Increment(ref _swallowed);
        using var _ = client;
        var buffer = new byte[4096];
        try
        {
            while (await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Sends a chunk (null: the end of the stream) at its due time, or holds it while <see cref="Blackhole"/> is on.</summary>
    private void Forward(Socket to, byte[]? data)
    {
        lock (_blackholeGate)
        {
            if (_blackhole)
            {
                _stalled.Add((to, data));
                return;
            }

            _line.Enqueue(Due(), to, data);
        }
    }

    /// <summary>Reads chunks from <paramref name="from"/> on a dedicated thread and hands each to the delay line, due
    /// <see cref="Delay"/> after it arrived (held while <see cref="Blackhole"/> is on). Completes at end of stream, on an error, or when the proxy stops.</summary>
    private Task Pump(Socket from, Socket to)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            PreciseSleep.TryRealTime();

            // Stopping the proxy ends a blocked Receive.
            using var registration = _stop.Token.Register(() =>
            {
                try
                {
                    from.Shutdown(SocketShutdown.Receive);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
            });
            var buffer = new byte[64 * 1024];
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var n = from.Receive(buffer);
                    if (n == 0)
                    {
                        break;
                    }

                    Forward(to, buffer.AsSpan(0, n).ToArray());
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            finally
            {
                Forward(to, null);
                done.TrySetResult();
            }
        })
        { IsBackground = true, Name = "redis-delay-proxy-reader" };
        thread.Start();
        return done.Task;
    }

    /// <summary>When a chunk that arrives now is due (a Stopwatch timestamp).</summary>
    private long Due() => Stopwatch.GetTimestamp() + (long)(Delay.TotalSeconds * Stopwatch.Frequency);
}
