using System.Net.Sockets;

namespace QuotaSidecar.Testing.Network;

/// <summary>
/// Sends chunks at their due time from one dedicated thread, in the order they arrived: one FIFO serves all
/// connections of a proxy (each socket's bytes keep their order). While the delay is constant, arrival order is due
/// order; after it is shortened, a chunk waits behind those before it, as on a link where nothing overtakes.
/// </summary>
/// <remarks>
/// The thread sleeps with <see cref="PreciseSleep"/>: .NET timers were measured here adding ~4 ms for a 1 ms delay,
/// which would have turned "1 ms" into 8 ms per Redis round trip.
/// </remarks>
internal sealed class DelayLine : IDisposable
{
    private readonly System.Collections.Concurrent.BlockingCollection<(long Due, Socket To, byte[]? Data)> _queue = [];
    private readonly Thread _thread;

    public DelayLine(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name, Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Sends <paramref name="data"/> to <paramref name="to"/> at <paramref name="due"/> (a Stopwatch timestamp);
    /// null data shuts the socket's sending side at that time (the peer sees the end of the stream in order).</summary>
    public void Enqueue(long due, Socket to, byte[]? data)
    {
        try
        {
            _queue.Add((due, to, data));
        }
        catch (InvalidOperationException)
        {
            // Completed: the proxy is stopping.
        }
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(5));
        _queue.Dispose();
    }

    private void Run()
    {
        PreciseSleep.TryRealTime();
        foreach (var (due, to, data) in _queue.GetConsumingEnumerable())
        {
            PreciseSleep.Until(due);
            try
            {
                if (data is null)
                {
                    to.Shutdown(SocketShutdown.Send);
                }
                else
                {
                    to.Send(data);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // That connection is gone; the others go on.
            }
        }
    }
}
