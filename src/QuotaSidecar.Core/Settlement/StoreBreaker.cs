using Microsoft.Extensions.Logging;
using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Core.Settlement;

/// <summary>
/// The circuit breaker in front of the store, or of one shard of it (docs/design.md {#store-breaker}). A failed or timed-out call, or a lost
/// connection, opens it: for the open period no call goes out, so nothing queues behind a dead connection and a
/// request that needs the store is answered at once from what is local. When the period ends one call goes out as
/// the trial (half-open): an answer closes the breaker, a failure opens it again for twice as long (up to a cap).
/// Any answer from the store closes it. Logs once per outage, not per request, naming the shard.
/// </summary>
/// <param name="shard">The shard it guards (<see cref="Ledger.IStoreShards.ShardOf"/>); null: the whole store.</param>
internal sealed class StoreBreaker(string? shard, TimeProvider time, TimeSpan firstOpen, TimeSpan maxOpen, TimeSpan trialTimeout, ILogger logger)
{
    private readonly Lock _gate = new();
    private volatile BreakerState _state = BreakerState.Closed;
    private long _openTicks;

    // Open: when the trial may go out. Half-open: when the trial went out.
    private long _trialTicks;

    public BreakerState State => _state;

    /// <summary>The shard it guards; null: the whole store (or the shards beyond the cap).</summary>
    public string? Shard => shard;

    /// <summary>The shard for logs and readiness.</summary>
    public string Name => shard is null ? "whole store" : "shard " + shard;

    /// <summary>Closed: the store answered the last call.</summary>
    public bool Closed => _state == BreakerState.Closed;

    /// <summary>Whether a call to the store may go out now. While open, the first caller after the open period is
    /// let through as the trial (and the breaker goes half-open); a trial that never reported back is replaced.</summary>
    public bool TryAdmit()
    {
        if (_state == BreakerState.Closed)
        {
            return true;
        }

        lock (_gate)
        {
            var now = time.GetUtcNow().UtcTicks;
            switch (_state)
            {
                case BreakerState.Closed:
                    return true;
                case BreakerState.Open when now >= _trialTicks:
                case BreakerState.HalfOpen when now - _trialTicks >= trialTimeout.Ticks:
                    _state = BreakerState.HalfOpen;
                    _trialTicks = now;
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>The store answered a call.</summary>
    public void Answered()
    {
        if (_state == BreakerState.Closed)
        {
            return;
        }

        lock (_gate)
        {
            if (_state == BreakerState.Closed)
            {
                return;
            }

            _state = BreakerState.Closed;
            _openTicks = 0;
        }

        EngineLog.StoreBack(logger, Name);
    }

    /// <summary>A call about <paramref name="subject"/> failed or timed out: opens the breaker (again).</summary>
    public void Failed(string subject, string reason)
    {
        bool wasClosed;
        lock (_gate)
        {
            if (_state == BreakerState.Open)
            {
                return; // a call admitted before the breaker opened, failing late: nothing new
            }

            wasClosed = _state == BreakerState.Closed;
            _openTicks = wasClosed ? firstOpen.Ticks : Math.Min(maxOpen.Ticks, _openTicks * 2);
            _trialTicks = time.GetUtcNow().UtcTicks + _openTicks;
            _state = BreakerState.Open;
        }

        if (wasClosed)
        {
            EngineLog.StoreUnavailable(logger, Name, subject, reason);
        }
    }

    /// <summary>The store's client says the connection is back: the trial may go out at once.</summary>
    public void ConnectionRestored()
    {
        lock (_gate)
        {
            if (_state == BreakerState.Open)
            {
                _trialTicks = time.GetUtcNow().UtcTicks;
            }
        }
    }
}
