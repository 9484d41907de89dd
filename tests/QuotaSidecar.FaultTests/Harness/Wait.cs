namespace QuotaSidecar.FaultTests.Harness;

internal static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes; true if it held.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(every ?? TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>SIGTERMs each sidecar and waits for all to exit; the seconds each took (NaN: did not exit).</summary>
    public static async Task<double[]> TerminateAllAsync(IEnumerable<QuotaSidecar.Tests.Infrastructure.SidecarProcess> sidecars, TimeSpan timeout)
    {
        var list = sidecars.Where(s => !s.HasExited).ToList();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        list.ForEach(s => s.Terminate());
        return await Task.WhenAll(list.Select(async s =>
            await s.WaitForExitAsync(timeout) ? System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds : double.NaN));
    }
}
