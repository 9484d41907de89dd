using System.Diagnostics;
using System.Runtime.InteropServices;

namespace QuotaSidecar.Testing.Network;

/// <summary>
/// Blocks the calling thread until a <see cref="Stopwatch"/> timestamp, with clock_nanosleep on CLOCK_MONOTONIC (the
/// clock Stopwatch reads on Linux) to an absolute deadline: precise to tens of microseconds, without spinning.
/// .NET timers (Task.Delay, Thread.Sleep) were measured on this VM at ~4 ms for a 1 ms wait, too coarse for the
/// delay proxy and the open loop's schedule.
/// </summary>
public static class PreciseSleep
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsolute = 1;
    private const int Interrupted = 4; // EINTR
    private static readonly bool Nanosleep = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

    private const int SchedFifo = 1;
    private static int s_realTimeFailures;

    /// <summary>True unless a timing thread could not be given real-time priority (then its wake-ups wait for a core
    /// like everything else, and on a loaded machine the proxy's delay grows: the measured RTT in the notes shows it).</summary>
    public static bool RealTimeEverywhere => Volatile.Read(ref s_realTimeFailures) == 0;

    /// <summary>
    /// Puts the calling thread in SCHED_FIFO (priority 1) so it wakes at its deadline even when every core is busy:
    /// the delay proxy stands for a network, whose latency does not depend on this machine's load, and the open
    /// loop's schedule must not slip because the servers keep the cores busy. The thread sleeps almost all the time,
    /// so it takes next to nothing from the servers. Needs root (CAP_SYS_NICE); otherwise nothing changes.
    /// </summary>
    public static void TryRealTime()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            var priority = 1;
            if (sched_setscheduler(gettid(), SchedFifo, ref priority) != 0)
            {
                Interlocked.Increment(ref s_realTimeFailures);
            }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            Interlocked.Increment(ref s_realTimeFailures);
        }
    }

    public static void Until(long timestamp)
    {
        if (timestamp <= Stopwatch.GetTimestamp())
        {
            return;
        }

        if (Nanosleep)
        {
            var deadline = new Timespec { Seconds = timestamp / 1_000_000_000, Nanoseconds = timestamp % 1_000_000_000 };
            while (clock_nanosleep(ClockMonotonic, TimerAbsolute, ref deadline, IntPtr.Zero) == Interrupted)
            {
            }

            return;
        }

        while (Stopwatch.GetTimestamp() < timestamp)
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

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int gettid();

    [DllImport("libc", EntryPoint = "sched_setscheduler")]
    private static extern int sched_setscheduler(int pid, int policy, ref int priority);
#pragma warning restore SYSLIB1054
}
