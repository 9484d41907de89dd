using Microsoft.Extensions.Logging;
using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Core.Holds;

/// <summary>
/// When the idempotency records' cap bites (docs/design.md §4a): a counter of records dropped before their window
/// had passed, and a warning at most once a minute saying how far back records now reach and what to change.
/// </summary>
internal sealed class IdempotencyMetrics(EngineMetrics metrics, ILogger logger, TimeSpan window, int maxRecords)
{
    private static readonly long WarnEveryTicks = TimeSpan.FromMinutes(1).Ticks;
    private long _lastWarningTicks = -WarnEveryTicks;

    /// <summary>A finished record of age <paramref name="ageTicks"/> was overwritten by a newer one.</summary>
    public void Overwritten(long ageTicks, long windowTicks)
    {
        if (ageTicks < windowTicks)
        {
            DroppedEarly(ageTicks);
        }
    }

    /// <summary>A record was dropped <paramref name="ageTicks"/> after it finished, before its window passed.</summary>
    public void DroppedEarly(long ageTicks)
    {
        metrics.IdempotencyRecordDropped();
        var last = Volatile.Read(ref _lastWarningTicks);
        var now = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
        if (now - last >= WarnEveryTicks && Interlocked.CompareExchange(ref _lastWarningTicks, now, last) == last)
        {
            EngineLog.IdempotencyRecordsCapped(logger, maxRecords, TimeSpan.FromTicks(Math.Max(0, ageTicks)), window);
        }
    }
}
