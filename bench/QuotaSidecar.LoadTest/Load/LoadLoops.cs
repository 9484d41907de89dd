using System.Diagnostics;

namespace QuotaSidecar.LoadTest.Load;

/// <summary>
/// The two ways of driving a server. Both stop by themselves: at the end of their duration or after a maximum number
/// of operations, whichever comes first; in-flight requests are then given a bounded time to finish.
/// </summary>
internal static class LoadLoops
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);

    /// <summary>Closed loop: <paramref name="concurrency"/> callers, each sending its next operation as soon as the
    /// previous one is answered.</summary>
    public static async Task<RunRecorder> ClosedAsync(Workload workload, int concurrency, TimeSpan duration, long maxOperations, RunRecorder recorder, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long operations = 0;
        var callers = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            callers[i] = Task.Run(async () =>
            {
                while (!cancellationToken.IsCancellationRequested
                    && Stopwatch.GetTimestamp() < stopAt
                    && Interlocked.Increment(ref operations) <= maxOperations)
                {
                    await workload.RunAsync(Stopwatch.GetTimestamp(), recorder);
                }
            }, CancellationToken.None);
        }

        await Task.WhenAll(callers).WaitAsync(duration + Drain, CancellationToken.None);
        recorder.Elapsed = Stopwatch.GetElapsedTime(started);
        return recorder;
    }

    /// <summary>
    /// Open loop: operations start on a fixed schedule of <paramref name="rate"/> per second whatever the server does;
    /// each one's latency counts from its scheduled time. At most <paramref name="maxInFlight"/> are outstanding (past
    /// that the schedule slips, and the slip is charged to latency, as it would be to a real caller).
    /// </summary>
    public static async Task<RunRecorder> OpenAsync(Workload workload, double rate, TimeSpan duration, long maxOperations, int maxInFlight, RunRecorder recorder, CancellationToken cancellationToken)
    {
        var total = Math.Min(maxOperations, (long)(rate * duration.TotalSeconds));
        var period = Stopwatch.Frequency / rate;
        var started = Stopwatch.GetTimestamp();
        long issued = 0;
        var inFlight = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatching = 1;

        void Finished()
        {
            if (Interlocked.Decrement(ref inFlight) == 0 && Volatile.Read(ref dispatching) == 0)
            {
                allDone.TrySetResult();
            }
        }

        async Task OneAsync(long intended)
        {
            try
            {
                await workload.RunAsync(intended, recorder);
            }
            finally
            {
                Finished();
            }
        }

        while (issued < total && !cancellationToken.IsCancellationRequested)
        {
            var due = Math.Min(total, (long)((Stopwatch.GetTimestamp() - started) / period) + 1);
            while (issued < due && Volatile.Read(ref inFlight) < maxInFlight)
            {
                var intended = started + (long)(issued * period);
                Interlocked.Increment(ref inFlight);
                _ = OneAsync(intended);
                issued++;
            }

            // Timers tick in milliseconds: requests due meanwhile go out together at the next tick, late by up to
            // a tick, which their latency (from the schedule) includes and their service time does not.
            await Task.Delay(1, CancellationToken.None);
        }

        Volatile.Write(ref dispatching, 0);
        if (Volatile.Read(ref inFlight) == 0)
        {
            allDone.TrySetResult();
        }

        await allDone.Task.WaitAsync(Drain, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        recorder.Elapsed = Stopwatch.GetElapsedTime(started);
        return recorder;
    }
}
