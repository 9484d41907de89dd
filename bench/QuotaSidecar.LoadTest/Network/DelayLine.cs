using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace QuotaSidecar.LoadTest.Network;

/// <summary>
/// Sends chunks at their due time from one dedicated thread. Every chunk gets the same delay, so arrival order is
/// due order and one FIFO serves all connections of a proxy (each socket's bytes keep their order).
/// </summary>
/// <remarks>
/// The thread sleeps with clock_nanosleep on CLOCK_MONOTONIC (the clock <see cref="Stopwatch"/> reads on Linux) to an
/// absolute deadline: precise to tens of microseconds without spinning. .NET timers (Task.Delay) were measured here
/// adding ~4 ms for a 1 ms delay, which would have turned "1 ms" into 8 ms per Redis round trip.
/// </remarks>
internal sealed partial class DelayLine : IDisposable
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsolute = 1;
    private const int Interrupted = 4; // EINTR
    private readonly System.Collections.Concurrent.BlockingCollection<(long Due, Socket To, byte[]? Data)> _queue = [];
    private readonly Thread _thread;
    private readonly bool _nanosleep = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

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
        foreach (var (due, to, data) in _queue.GetConsumingEnumerable())
        {
            SleepUntil(due);
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

    private void SleepUntil(long due)
    {
        if (due <= Stopwatch.GetTimestamp())
        {
            return;
        }

        if (_nanosleep)
        {
            var deadline = new Timespec { Seconds = due / 1_000_000_000, Nanoseconds = due % 1_000_000_000 };
            while (clock_nanosleep(ClockMonotonic, TimerAbsolute, ref deadline, IntPtr.Zero) == Interrupted)
            {
            }

            return;
        }

        while (Stopwatch.GetTimestamp() < due)
        {
            Thread.Sleep(1);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

#pragma warning disable SYSLIB1054 // a plain DllImport keeps the project free of unsafe code
    [DllImport("libc", EntryPoint = "clock_nanosleep")]
    private static extern int clock_nanosleep(int clock, int flags, ref Timespec request, IntPtr remain);
#pragma warning restore SYSLIB1054
}
