using QuotaSidecar.Core.Settlement;

namespace QuotaSidecar.Core.Engine;

/// <summary>
/// One request's budget for waiting on the store (docs/design.md {#store-wait}): all its waits for exchanges
/// together last at most <see cref="EngineOptions.MaxStoreWait"/>. An exchange still running when the budget is
/// spent is left to finish in the background (its answer is applied when it comes) and the request is answered from
/// what is local. The reclaim wait is not a wait on the store and is not counted.
/// </summary>
internal sealed class StoreWait(TimeProvider time, TimeSpan budget)
{
    private TimeSpan _waited;

    /// <summary>How long the request has waited on the store so far.</summary>
    public TimeSpan Waited => _waited;

    /// <summary>Waits for <paramref name="exchange"/> within what is left of the budget.</summary>
    public async ValueTask<ExchangeOutcome> WaitAsync(Task<ExchangeOutcome> exchange, CancellationToken cancellationToken)
    {
        if (exchange.IsCompleted)
        {
            return exchange.Result;
        }

        var left = budget - _waited;
        if (left <= TimeSpan.Zero)
        {
            return ExchangeOutcome.TimedOut;
        }

        var started = time.GetTimestamp();
        try
        {
            return await exchange.WaitAsync(left, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return ExchangeOutcome.TimedOut;
        }
        finally
        {
            _waited += time.GetElapsedTime(started);
        }
    }
}
