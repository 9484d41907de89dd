using System.Runtime.InteropServices;

namespace QuotaSidecar.Benchmarks.CpuTime;

/// <summary>CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID), in nanoseconds: time it was not running
/// (preempted by other work on a shared machine) is not counted.</summary>
internal static class ThreadCpuClock
{
    private const int ThreadCpuTimeClock = 3; // CLOCK_THREAD_CPUTIME_ID

    public static bool IsSupported { get; } = OperatingSystem.IsLinux();

    public static long Nanoseconds()
    {
        clock_gettime(ThreadCpuTimeClock, out var now);
        return (now.Seconds * 1_000_000_000) + now.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

#pragma warning disable SYSLIB1054 // a plain DllImport keeps the project free of unsafe code
    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clock, out Timespec time);
#pragma warning restore SYSLIB1054
}
