using System.Diagnostics;
using System.Runtime.InteropServices;

namespace QuotaSidecar.LoadTest.Network;

/// <summary>
/// Blocks the calling thread until a <see cref="Stopwatch"/> timestamp, with clock_nanosleep on CLOCK_MONOTONIC (the
/// clock Stopwatch reads on Linux) to an absolute deadline: precise to tens of microseconds, without spinning.
/// .NET timers (Task.Delay, Thread.Sleep) were measured on this VM at ~4 ms for a 1 ms wait, too coarse for the
/// delay proxy and the open loop's schedule.
/// </summary>
internal static class PreciseSleep
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsolute = 1;
    private const int Interrupted = 4; // EINTR
    private static readonly bool Nanosleep = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

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
#pragma warning restore SYSLIB1054
}
