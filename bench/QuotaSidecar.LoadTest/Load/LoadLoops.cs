using System.Diagnostics;
using QuotaSidecar.LoadTest.Network;

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
        recorder.AddElapsed(Stopwatch.GetElapsedTime(started));
        return recorder;
    }

    /// <summary>
    /// Open loop: operations start on a fixed schedule of <paramref name="rate"/> per second whatever the server does;
    /// each one's latency counts from its scheduled time. A dedicated thread sends each at its time (sleeping with
    /// <see cref="PreciseSleep"/>, since .NET timers are ~4 ms coarse here). At most <paramref name="maxInFlight"/>
    /// are outstanding: past that the schedule slips, and the slip is charged to latency, as it would be to a caller.
    /// </summary>
    public static async Task<RunRecorder> OpenAsync(Workload workload, double rate, TimeSpan duration, long maxOperations, int maxInFlight, RunRecorder recorder, CancellationToken cancellationToken)
    {
        var total = Math.Min(maxOperations, (long)(rate * duration.TotalSeconds));
        var period = Stopwatch.Frequency / rate;
        var inFlight = 0;
        var dispatching = 1;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = Stopwatch.GetTimestamp();

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

        var dispatcher = new Thread(() =>
        {
            PreciseSleep.TryRealTime();
            try
            {
                for (long i = 0; i < total && !cancellationToken.IsCancellationRequested; i++)
                {
                    var intended = started + (long)(i * period);
                    PreciseSleep.Until(intended);
                    while (Volatile.Read(ref inFlight) >= maxInFlight && !cancellationToken.IsCancellationRequested)
                    {
                        PreciseSleep.Until(Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 10_000));
                    }

                    Interlocked.Increment(ref inFlight);
                    _ = OneAsync(intended);
                }
            }
            finally
            {
                Volatile.Write(ref dispatching, 0);
                if (Volatile.Read(ref inFlight) == 0)
                {
                    allDone.TrySetResult();
                }

                dispatched.TrySetResult();
            }
        })
        { IsBackground = true, Name = "open-loop-dispatcher", Priority = ThreadPriority.AboveNormal };
        dispatcher.Start();
        await dispatched.Task;
        await allDone.Task.WaitAsync(Drain, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        recorder.AddElapsed(Stopwatch.GetElapsedTime(started));
        return recorder;
    }
}
