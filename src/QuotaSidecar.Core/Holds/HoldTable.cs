using System.Collections.Concurrent;

namespace QuotaSidecar.Core.Holds;

/// <summary>
/// The holds this sidecar remembers, by id (docs/design.md §4a): open ones whole, and finished ones for the retry
/// window, so a repeated Reserve, Commit, Release or Consume gets the first answer again. Both kinds of record are
/// bounded (<c>SidecarIdRecords</c>, <c>MaxRecords</c>); past it the oldest finished records are dropped early
/// (counted, logged).
/// <list type="bullet">
/// <item>Sidecar-made ids live in the <see cref="HoldRing"/>: no dictionary, no string kept, 32 bytes per finished
/// hold.</item>
/// <item>Client-chosen reservation ids and Consume request ids (separate name spaces) live in dictionaries: the
/// client's key has to be kept to be matched, so such a record costs the key, the hold and a dictionary entry.</item>
/// </list>
/// </summary>
internal sealed class HoldTable
{
    // The default string comparer is already ordinal, and measured 1.25-1.7x faster than an explicit one here.
    private readonly ConcurrentDictionary<string, Hold> _reservations = new();
    private readonly ConcurrentDictionary<string, ConsumeAnswer> _consumes = new();

    // Finished client-id records in the order they finished (so the queue is sorted by finish time).
    // An entry is 16 bytes (plus the queue's sequence word): the record (a Hold or a ConsumeAnswer) and when it finished.
    private readonly ConcurrentQueue<(object Record, long FinishedTicks)> _finished = new();
    private readonly long _windowTicks;
    private readonly int _maxRecords;
    private readonly IdempotencyMetrics _metrics;
    private int _clientRecords;

    public HoldTable(string instanceId, long windowTicks, int maxRecords, int ringSlots, IdempotencyMetrics metrics)
    {
        _windowTicks = windowTicks;
        _maxRecords = maxRecords;
        _metrics = metrics;
        Ring = new HoldRing(instanceId, windowTicks, ringSlots, metrics);
    }

    /// <summary>The records of sidecar-made ids.</summary>
    public HoldRing Ring { get; }

    /// <summary>Client-id records kept (open and finished).</summary>
    public int ClientRecords => Volatile.Read(ref _clientRecords);

    public bool TryGetReservation(string reservationId, out Hold hold) => _reservations.TryGetValue(reservationId, out hold!);

    public bool TryGetConsume(string requestId, out ConsumeAnswer answer) => _consumes.TryGetValue(requestId, out answer!);

    /// <summary>Remembers a hold under its client-chosen reservation id; false (and nothing kept) if the id is taken.
    /// A record that is already final (a denial) starts its retry window now.</summary>
    public bool TryAddReservation(Hold hold, long nowTicks)
    {
        if (!_reservations.TryAdd(hold.Id, hold))
        {
            return false;
        }

        if (hold.State != HoldState.Open)
        {
            _finished.Enqueue((hold, nowTicks));
        }

        Added(nowTicks);
        return true;
    }

    /// <summary>Remembers a Consume's answer under its request id (the first answer wins).</summary>
    public void AddConsume(ConsumeAnswer answer, long nowTicks)
    {
        if (_consumes.TryAdd(answer.RequestId, answer))
        {
            _finished.Enqueue((answer, nowTicks));
            Added(nowTicks);
        }
    }

    /// <summary>A hold has just finished (committed, released or expired): keep only what its retries need, for the
    /// window. Called under the hold's account gate.</summary>
    public void Finished(Hold hold, long nowTicks)
    {
        if (hold.IsSidecarMade)
        {
            Ring.Finish(hold);
        }
        else
        {
            _finished.Enqueue((hold, nowTicks));
        }
    }

    /// <summary>How far back finished holds of both kinds are remembered now: the window, or less once a cap bites.</summary>
    public long EffectiveWindowTicks(long nowTicks)
    {
        var window = Ring.EffectiveWindowTicks(nowTicks);
        if (ClientRecords >= _maxRecords && _finished.TryPeek(out var oldest))
        {
            window = Math.Min(window, Math.Max(0, nowTicks - oldest.FinishedTicks));
        }

        return window;
    }

    /// <summary>Forgets client-id records whose window has passed. (Ring records are overwritten in turn.)</summary>
    public void ForgetOld(long nowTicks)
    {
        while (_finished.TryPeek(out var head) && head.FinishedTicks + _windowTicks <= nowTicks)
        {
            Forget();
        }
    }

    private void Added(long nowTicks)
    {
        // Over the cap: drop the oldest finished records now rather than grow (open holds are never dropped).
        if (Interlocked.Increment(ref _clientRecords) > _maxRecords && Forget() is { } dropped)
        {
            _metrics.DroppedEarly(nowTicks - dropped.FinishedTicks);
        }
    }

    private (object Record, long FinishedTicks)? Forget()
    {
        if (!_finished.TryDequeue(out var oldest))
        {
            return null;
        }

        // Remove only this record: the id may since have been reused for a newer one.
        var removed = oldest.Record is Hold hold
            ? _reservations.TryRemove(new KeyValuePair<string, Hold>(hold.Id, hold))
            : oldest.Record is ConsumeAnswer answer && _consumes.TryRemove(new KeyValuePair<string, ConsumeAnswer>(answer.RequestId, answer));
        if (removed)
        {
            Interlocked.Decrement(ref _clientRecords);
        }

        return oldest;
    }
}
