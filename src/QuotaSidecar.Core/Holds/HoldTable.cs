using System.Collections.Concurrent;
using System.Globalization;

namespace QuotaSidecar.Core.Holds;

/// <summary>
/// The holds this sidecar remembers, by id: open ones, and finished ones for the idempotency window
/// (docs/design.md §4a), so a retried Reserve, Commit, Release or Consume gets the first answer again. Reservation
/// ids and Consume request ids are separate name spaces.
/// </summary>
internal sealed class HoldTable(string instanceId, long windowTicks)
{
    // The default string comparer is already ordinal, and measured 1.25-1.7x faster than an explicit one here.
    private readonly ConcurrentDictionary<string, Hold> _reservations = new();
    private readonly ConcurrentDictionary<string, Hold> _consumes = new();
    private readonly ConcurrentQueue<Hold> _retention = new();
    private readonly string _idPrefix = "r-" + instanceId + "-";
    private long _nextId;

    public bool TryGetReservation(string reservationId, out Hold hold) => _reservations.TryGetValue(reservationId, out hold!);

    public bool TryGetConsume(string requestId, out Hold record) => _consumes.TryGetValue(requestId, out record!);

    /// <summary>Remembers a hold under its reservation id; false (and nothing kept) if the id is taken.</summary>
    public bool TryAddReservation(Hold hold)
    {
        if (!_reservations.TryAdd(hold.Id, hold))
        {
            return false;
        }

        _retention.Enqueue(hold);
        return true;
    }

    /// <summary>Remembers a Consume's answer under its request id (the first answer wins).</summary>
    public void AddConsume(Hold record)
    {
        if (_consumes.TryAdd(record.Id, record))
        {
            _retention.Enqueue(record);
        }
    }

    /// <summary>Forgets a hold at once (the private hold of a slow Consume, whose answer is not replayed by id).</summary>
    public void RemoveReservation(string reservationId) => _reservations.TryRemove(reservationId, out _);

    /// <summary>A new sidecar-made reservation id, unique for this instance.</summary>
    public string NewId() =>
        string.Create(CultureInfo.InvariantCulture, $"{_idPrefix}{Interlocked.Increment(ref _nextId):x}");

    /// <summary>
    /// Forgets records older than the window (they were made in order, so the queue is sorted). A still-open hold
    /// is expired first (the window is at least the longest hold TTL, so it is due).
    /// </summary>
    public void ForgetOld(long nowTicks)
    {
        while (_retention.TryPeek(out var hold) && hold.CreatedTicks + windowTicks <= nowTicks)
        {
            _retention.TryDequeue(out _);
            lock (hold.Account.Gate)
            {
                hold.Account.ExpireIfDue(hold, nowTicks);
            }

            // Remove only this record: the id may since have been reused for a newer one.
            if (!_reservations.TryRemove(new KeyValuePair<string, Hold>(hold.Id, hold)))
            {
                _consumes.TryRemove(new KeyValuePair<string, Hold>(hold.Id, hold));
            }
        }
    }
}
