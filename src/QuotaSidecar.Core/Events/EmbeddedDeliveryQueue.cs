namespace QuotaSidecar.Core.Events;

/// <summary>
/// The delivery queue of the embedded store: in process, like its events (one process, so one consumer in practice).
/// It starts at the newest event when made: events from before are not sent.
/// </summary>
public sealed class EmbeddedDeliveryQueue : IEventDeliveryQueue
{
    private readonly EmbeddedEventLog _log;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Taken> _taken = new(StringComparer.Ordinal);
    private readonly Queue<BalanceEvent> _redeliver = new();
    private readonly List<FailedDelivery> _failed = [];
    private string _next;

    public EmbeddedDeliveryQueue(EmbeddedEventLog log, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
        _time = time ?? TimeProvider.System;
        _next = log.LastCursor;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EventDelivery>> TakeAsync(string consumer, int max, TimeSpan claimIdle, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var taken = new List<EventDelivery>();
        string after;
        lock (_gate)
        {
            foreach (var t in _taken.Values)
            {
                if (taken.Count < max && now - t.Touched >= claimIdle)
                {
                    t.Consumer = consumer;
                    t.Touched = now;
                    taken.Add(t.Delivery);
                }
            }

            while (taken.Count < max && _redeliver.TryDequeue(out var e))
            {
                taken.Add(Take(e, consumer, now));
            }

            after = _next;
        }

        if (taken.Count < max)
        {
            var page = await _log.ListAsync(after, max - taken.Count, null, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                // Only one taker moves the cursor past a page; a concurrent one that read the same page drops it.
                if (_next == after && page.Events.Count > 0)
                {
                    _next = page.Next;
                    foreach (var e in page.Events)
                    {
                        taken.Add(Take(e, consumer, now));
                    }
                }
            }
        }

        return taken;
    }

    /// <inheritdoc />
    public Task<long> AttemptAsync(EventDelivery delivery, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        lock (_gate)
        {
            if (!_taken.TryGetValue(delivery.Handle, out var t))
            {
                t = new Taken(delivery, consumer, _time.GetUtcNow());
                _taken[delivery.Handle] = t;
            }

            t.Consumer = consumer;
            t.Touched = _time.GetUtcNow();
            return Task.FromResult(++t.Attempts);
        }
    }

    /// <inheritdoc />
    public Task DeliveredAsync(EventDelivery delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        lock (_gate)
        {
            _taken.Remove(delivery.Handle);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task FailedAsync(EventDelivery delivery, long attempts, string lastError, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        lock (_gate)
        {
            if (_taken.Remove(delivery.Handle))
            {
                _failed.Add(new FailedDelivery(delivery.Event, attempts, lastError, _time.GetUtcNow()));
                if (_failed.Count > IEventDeliveryQueue.MaxFailedKept)
                {
                    _failed.RemoveAt(0); // the oldest, as the Redis store's MAXLEN does
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<FailedDelivery>> ListFailedAsync(int limit, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<FailedDelivery> list = [.. Enumerable.Reverse(_failed).Take(limit)];
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<bool> RedeliverAsync(string eventId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var i = _failed.FindIndex(f => f.Event.Id == eventId);
            if (i < 0)
            {
                return Task.FromResult(false);
            }

            _redeliver.Enqueue(_failed[i].Event);
            _failed.RemoveAt(i);
            return Task.FromResult(true);
        }
    }

    private EventDelivery Take(BalanceEvent e, string consumer, DateTimeOffset now)
    {
        var delivery = new EventDelivery(e, e.Id);
        _taken[delivery.Handle] = new Taken(delivery, consumer, now);
        return delivery;
    }

    private sealed class Taken(EventDelivery delivery, string consumer, DateTimeOffset touched)
    {
        public EventDelivery Delivery { get; } = delivery;

        public string Consumer { get; set; } = consumer;

        public DateTimeOffset Touched { get; set; } = touched;

        public long Attempts { get; set; }
    }
}
