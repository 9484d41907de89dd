using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Events;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Redis;
using QuotaSidecar.Redis.Events;

namespace QuotaSidecar.Events;

/// <summary>
/// With the Redis store, moves balance events from the accounts' outboxes to the global stream
/// (docs/design.md#event-relay): at once for the accounts this sidecar's calls signalled, and by a bounded sweep (one
/// sidecar of the fleet at a time) for outboxes nobody relayed. Nothing to do with the embedded store.
/// </summary>
internal sealed partial class EventRelayService(
    ICentralLedger ledger,
    IEventLog log,
    IOptions<QuotaOptions> quota,
    TimeProvider time,
    EngineMetrics metrics,
    ILogger<EventRelayService> logger) : BackgroundService
{
    /// <summary>Accounts waiting for a relay; past it a signal is dropped (counted, logged) and the account's events
    /// wait for its next signal or the sweep.</summary>
    internal const int QueueCapacity = 10_000;

    private const int Workers = 4;

    private readonly Channel<string> _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait });
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly Counter<long> _relayed = metrics.Meter.CreateCounter<long>(
        "quota.events.relayed", "{event}", "Balance events copied from account outboxes to the global event stream (Redis store).");
    private readonly Counter<long> _failures = metrics.Meter.CreateCounter<long>(
        "quota.events.relay.failures", "{failure}", "Relays or sweeps of balance events that failed (the events stay in their outbox).");
    private readonly Counter<long> _dropped = metrics.Meter.CreateCounter<long>(
        "quota.events.relay.dropped", "{signal}", "Relay signals dropped because the queue was full (the sweep relays those accounts later).");

    private long _lastDropLog;
    private bool _failing;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (ledger is not RedisLedger redis || log is not RedisEventLog events)
        {
            return Task.CompletedTask;
        }

        redis.EventsPending += Signal;
        stoppingToken.Register(() => redis.EventsPending -= Signal);
        var tasks = new List<Task>();
        for (var i = 0; i < Workers; i++)
        {
            tasks.Add(RelayLoopAsync(events, stoppingToken));
        }

        tasks.Add(SweepLoopAsync(events, stoppingToken));
        return Task.WhenAll(tasks);
    }

    private void Signal(string accountId)
    {
        lock (_queued)
        {
            if (!_queued.Add(accountId))
            {
                return; // already waiting: one relay takes all its events
            }
        }

        if (!_queue.Writer.TryWrite(accountId))
        {
            lock (_queued)
            {
                _queued.Remove(accountId);
            }

            _dropped.Add(1);
            var now = time.GetTimestamp();
            var last = Interlocked.Read(ref _lastDropLog);
            if (last == 0 || time.GetElapsedTime(last, now) >= TimeSpan.FromMinutes(1))
            {
                Interlocked.Exchange(ref _lastDropLog, now);
                Log.QueueFull(logger, QueueCapacity);
            }
        }
    }

    private async Task RelayLoopAsync(RedisEventLog events, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var accountId in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                lock (_queued)
                {
                    _queued.Remove(accountId);
                }

                try
                {
                    _relayed.Add(await events.RelayAsync(accountId, stoppingToken));
                    Recovered();
                }
                catch (QuotaException e)
                {
                    Failed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SweepLoopAsync(RedisEventLog events, CancellationToken stoppingToken)
    {
        var instance = quota.Value.EngineOptions.InstanceId;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(quota.Value.Events.SweepInterval, time, stoppingToken);
                try
                {
                    var copied = await events.SweepOnceAsync(instance, stoppingToken);
                    if (copied > 0)
                    {
                        _relayed.Add(copied);
                        Log.Swept(logger, copied);
                    }

                    Recovered();
                }
                catch (QuotaException e)
                {
                    Failed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // One warning when relaying starts failing, one line when it works again: a Redis outage is not a log flood.
    private void Failed(QuotaException e)
    {
        _failures.Add(1);
        lock (_queued)
        {
            if (_failing)
            {
                return;
            }

            _failing = true;
        }

        Log.RelayFailing(logger, e.Message);
    }

    private void Recovered()
    {
        lock (_queued)
        {
            if (!_failing)
            {
                return;
            }

            _failing = false;
        }

        Log.RelayRecovered(logger);
    }

    private static partial class Log
    {
        [LoggerMessage(1600, LogLevel.Warning, "Balance events could not be relayed ({Reason}); they stay in their accounts' outboxes and are relayed when the store answers again")]
        public static partial void RelayFailing(ILogger logger, string reason);

        [LoggerMessage(1601, LogLevel.Information, "Balance events are relayed again")]
        public static partial void RelayRecovered(ILogger logger);

        [LoggerMessage(1602, LogLevel.Warning, "The balance event relay queue is full ({Capacity} accounts); signals are dropped (quota_events_relay_dropped_total) and the sweep relays those accounts later")]
        public static partial void QueueFull(ILogger logger, int capacity);

        [LoggerMessage(1603, LogLevel.Information, "The sweep relayed {Count} balance events nobody had relayed")]
        public static partial void Swept(ILogger logger, int count);
    }
}
