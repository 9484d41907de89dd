using System.Diagnostics;

namespace QuotaSidecar.Testing;

/// <summary>Polls a condition until it holds or a deadline passes: the way to wait for another process, never a sleep.</summary>
public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> every <paramref name="every"/> (default 250 ms) until it holds or
    /// <paramref name="timeout"/> passes; true if it held.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? every = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                return false;
            }

            await Task.Delay(every ?? TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds; throws a <see cref="TimeoutException"/>
    /// with <paramref name="failure"/>'s message after <paramref name="timeout"/>. A condition that throws counts as not
    /// yet (a process that is starting refuses connections); the last such exception is the inner one.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(failure);
        var started = Stopwatch.GetTimestamp();
        Exception? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                last = e;
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException(failure(), last);
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
