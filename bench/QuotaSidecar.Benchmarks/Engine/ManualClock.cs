namespace QuotaSidecar.Benchmarks.Engine;

/// <summary>
/// A clock that stands still until told to move: leases never run out under a benchmark, and the fixture moves time
/// past the idempotency window on purpose so the engine forgets the records a batch made.
/// </summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Volatile.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}
