using System.Globalization;
using System.Numerics;

namespace QuotaSidecar.Core.Holds;

/// <summary>
/// Holds with sidecar-made ids (<c>r-&lt;instance&gt;-&lt;n in hex&gt;</c>), found by n instead of a dictionary: n picks a
/// slot of a ring (n modulo the capacity) and the rest of n, its generation, tells whether the slot still holds that
/// hold. A slot has the open <see cref="Hold"/> while it is open and a 32-byte <see cref="FinishedHold"/> after, until
/// the ring comes round to it again: so memory is fixed by <c>SidecarIdRecords</c>, not by traffic, and a Reserve+Commit
/// allocates nothing beyond the hold and its id. A slot whose hold is still open when the ring comes round is
/// skipped (its n is never issued); a finished record overwritten before the window has passed is counted as
/// dropped early.
/// </summary>
/// <remarks>
/// Slots are allocated in segments on first use, so an idle sidecar does not pay for the whole ring. A slot is read
/// and written under one of <see cref="Stripes"/> locks (by the low bits of n, so consecutive ids use different
/// locks); the lock order is account gate, then stripe, and a stripe is never held while taking anything else.
/// </remarks>
internal sealed class HoldRing
{
    private const int SegmentBits = 12;
    private const int SegmentSize = 1 << SegmentBits;
    private const int Stripes = 64;

    private readonly Slot[]?[] _segments;
    private readonly long[] _segmentStartedTicks;
    private readonly Lock[] _stripes;
    private readonly string _idPrefix;
    private readonly long _mask;
    private readonly int _capacityBits;
    private readonly long _windowTicks;
    private readonly IdempotencyMetrics _metrics;

    // The last n issued. Starts one ring in, so the first generation is 1 and generation 0 marks an empty slot.
    private long _last;

    public HoldRing(string instanceId, long windowTicks, int slots, IdempotencyMetrics metrics)
    {
        var capacity = Math.Max(SegmentSize, (long)BitOperations.RoundUpToPowerOf2((uint)slots));
        _capacityBits = BitOperations.Log2((ulong)capacity);
        _mask = capacity - 1;
        _last = capacity;
        _segments = new Slot[]?[capacity >> SegmentBits];
        _segmentStartedTicks = new long[_segments.Length];
        _stripes = new Lock[Stripes];
        for (var i = 0; i < Stripes; i++)
        {
            _stripes[i] = new Lock();
        }

        _idPrefix = "r-" + instanceId + "-";
        _windowTicks = windowTicks;
        _metrics = metrics;
    }

    /// <summary>Slots in the ring: the most finished sidecar-made holds remembered at once.</summary>
    public long Capacity => _mask + 1;

    /// <summary>
    /// Opens a hold with a new sidecar-made id in the next free slot. <paramref name="create"/> makes the hold for
    /// the id and n given (called at most once per slot tried; a skipped slot's hold is dropped unused).
    /// </summary>
    public Hold Open<TState>(TState state, Func<TState, string, long, Hold> create, long nowTicks)
    {
        while (true)
        {
            var n = Interlocked.Increment(ref _last);
            if (Generation(n) == 0)
            {
                continue; // the 24-bit generation wrapped to the "empty" mark (once in 2^24 rounds of the ring)
            }

            var index = n & _mask;
            var segment = Segment(index);
            if ((index & (SegmentSize - 1)) == 0)
            {
                Volatile.Write(ref _segmentStartedTicks[index >> SegmentBits], nowTicks);
            }

            var hold = create(state, FormatId(n), n);
            lock (_stripes[index & (Stripes - 1)])
            {
                ref var slot = ref segment[index & (SegmentSize - 1)];
                if (slot.Open is { State: HoldState.Open })
                {
                    continue; // still open a whole ring later: keep it, take the next n
                }

                if (slot.Finished.Generation != 0 || slot.Open is not null)
                {
                    _metrics.Overwritten(nowTicks - Volatile.Read(ref _segmentStartedTicks[index >> SegmentBits]), _windowTicks);
                }

                slot.Open = hold;
                slot.Finished = default;
                return hold;
            }
        }
    }

    /// <summary>Keeps only the record of a hold that has just finished. Called under the hold's account gate.</summary>
    public void Finish(Hold hold)
    {
        var index = hold.RingNumber & _mask;
        var segment = Segment(index);
        lock (_stripes[index & (Stripes - 1)])
        {
            ref var slot = ref segment[index & (SegmentSize - 1)];
            // A hold whose figures do not fit the packed form stays whole (rare: amounts above 2^37).
            if (ReferenceEquals(slot.Open, hold) && FinishedHold.Fits(hold))
            {
                slot.Open = null;
                slot.Finished = FinishedHold.Of(hold, Generation(hold.RingNumber));
            }
        }
    }

    /// <summary>Finds a sidecar-made id: the open hold, the record of a finished one, or why there is neither.</summary>
    public RingLookup Find(string id)
    {
        if (!TryParse(id, out var n))
        {
            return RingLookup.NotOurs;
        }

        if (n > Volatile.Read(ref _last) || n <= Capacity)
        {
            return RingLookup.NotOurs; // never issued by this instance
        }

        var index = n & _mask;
        if (Volatile.Read(ref _segments[index >> SegmentBits]) is not { } segment)
        {
            return RingLookup.Forgotten;
        }

        Slot slot;
        lock (_stripes[index & (Stripes - 1)])
        {
            slot = segment[index & (SegmentSize - 1)];
        }

        if (slot.Open is { } open && open.RingNumber == n)
        {
            return RingLookup.OpenHold(open); // open, or finished and kept whole
        }

        return slot.Finished.Generation == Generation(n)
            ? RingLookup.FinishedHold(slot.Finished)
            : RingLookup.Forgotten;
    }

    /// <summary>Whether <paramref name="id"/> has the form of an id this instance makes.</summary>
    public bool IsSidecarMade(string id) => TryParse(id, out _);

    /// <summary>How far back finished holds are remembered now: the age of the oldest segment the ring is about to
    /// reuse, or the whole window while the ring has not come round.</summary>
    public long EffectiveWindowTicks(long nowTicks)
    {
        var last = Volatile.Read(ref _last);
        if (last < 2 * Capacity)
        {
            return _windowTicks;
        }

        var next = ((last + 1) & _mask) >> SegmentBits;
        var oldest = Volatile.Read(ref _segmentStartedTicks[(next + 1) % _segments.Length]);
        return Math.Min(_windowTicks, Math.Max(0, nowTicks - oldest));
    }

    private uint Generation(long n) => FinishedHold.GenerationOf(n, _capacityBits);

    /// <summary>The id for n: the prefix and n in lower-case hex (written directly: the hot path makes one per Reserve).</summary>
    private string FormatId(long n)
    {
        var digits = (BitOperations.Log2((ulong)n) / 4) + 1;
        return string.Create(_idPrefix.Length + digits, (_idPrefix, n), static (span, s) =>
        {
            s._idPrefix.CopyTo(span);
            var value = (ulong)s.n;
            for (var i = span.Length - 1; i >= s._idPrefix.Length; i--)
            {
                span[i] = "0123456789abcdef"[(int)(value & 0xF)];
                value >>= 4;
            }
        });
    }

    private bool TryParse(string id, out long n)
    {
        n = 0;
        return id.StartsWith(_idPrefix, StringComparison.Ordinal)
            && long.TryParse(id.AsSpan(_idPrefix.Length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out n)
            && n > 0;
    }

    private Slot[] Segment(long index)
    {
        ref var segment = ref _segments[index >> SegmentBits];
        return Volatile.Read(ref segment) ?? Interlocked.CompareExchange(ref segment, new Slot[SegmentSize], null) ?? segment!;
    }

    /// <summary>One slot: the open hold, or the record of the finished one (32 bytes with the reference).</summary>
    private struct Slot
    {
        public Hold? Open;
        public FinishedHold Finished;
    }
}
