using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Events;

namespace QuotaSidecar.Events;

/// <summary>
/// Sends balance events to the webhook (docs/design.md#webhooks) when <c>Quota:Events:Webhook:Url</c> is set: takes
/// events from the delivery queue (each to one sidecar of the fleet), POSTs them signed, retries with exponential
/// backoff on the injected clock, and after <c>MaxAttempts</c> moves them to the failed list.
/// </summary>
internal sealed partial class WebhookDeliveryService(
    IEventDeliveryQueue queue,
    IOptions<QuotaOptions> quota,
    TimeProvider time,
    EngineMetrics metrics,
    ILogger<WebhookDeliveryService> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
    private readonly Counter<long> _delivered = metrics.Meter.CreateCounter<long>(
        "quota.webhooks.delivered", "{event}", "Balance events the webhook receiver acknowledged with a 2xx.");
    private readonly Counter<long> _retried = metrics.Meter.CreateCounter<long>(
        "quota.webhooks.attempts.failed", "{attempt}", "Webhook attempts that failed (non-2xx, error or timeout) and will be retried or give up.");
    private readonly Counter<long> _failed = metrics.Meter.CreateCounter<long>(
        "quota.webhooks.failed", "{event}", "Balance events moved to the failed list after Quota:Events:Webhook:MaxAttempts attempts.");

    private bool _storeFailing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var webhook = quota.Value.Events.Webhook;
        if (!webhook.Enabled)
        {
            return;
        }

        using var sender = new WebhookSender(webhook, time);
        var consumer = quota.Value.EngineOptions.InstanceId;
        Log.Started(logger, new Uri(webhook.Url!).GetLeftPart(UriPartial.Path), consumer);
        var deliveries = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var free = webhook.Concurrency - _inFlight.Count;
                IReadOnlyList<EventDelivery> taken = [];
                if (free > 0)
                {
                    try
                    {
                        taken = await queue.TakeAsync(consumer, free, webhook.ClaimIdle, stoppingToken);
                        StoreBack();
                    }
                    catch (QuotaException e)
                    {
                        StoreFailed(e);
                    }
                }

                foreach (var delivery in taken)
                {
                    if (_inFlight.TryAdd(delivery.Handle, 0))
                    {
                        deliveries.Add(DeliverAsync(sender, delivery, consumer, webhook, stoppingToken));
                    }
                }

                deliveries.RemoveAll(t => t.IsCompleted);
                if (taken.Count == 0)
                {
                    await Task.Delay(quota.Value.Events.WatchPollInterval, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // What was in flight stays taken; another sidecar takes it over after ClaimIdle (at least once).
        await Task.WhenAll(deliveries);
    }

    private async Task DeliverAsync(WebhookSender sender, EventDelivery delivery, string consumer, WebhookOptions webhook, CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                var attempts = await queue.AttemptAsync(delivery, consumer, stoppingToken);
                var error = await sender.SendAsync(delivery.Event, stoppingToken);
                if (error is null)
                {
                    await queue.DeliveredAsync(delivery, stoppingToken);
                    _delivered.Add(1);
                    return;
                }

                _retried.Add(1);
                if (attempts >= webhook.MaxAttempts)
                {
                    await queue.FailedAsync(delivery, attempts, error, stoppingToken);
                    _failed.Add(1);
                    Log.GaveUp(logger, delivery.Event.Id, BalanceEventTypes.Name(delivery.Event.Type), attempts, error);
                    return;
                }

                await Task.Delay(Backoff(webhook, attempts), time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (QuotaException e)
        {
            // The store went away mid-delivery: the event stays taken and is taken over after ClaimIdle.
            StoreFailed(e);
        }
        finally
        {
            _inFlight.TryRemove(delivery.Handle, out _);
        }
    }

    /// <summary>The wait after the attempt-th failure: InitialBackoff doubling, at most MaxBackoff.</summary>
    internal static TimeSpan Backoff(WebhookOptions webhook, long attempts)
    {
        var factor = Math.Pow(2, Math.Min(attempts - 1, 30));
        var ticks = Math.Min(webhook.MaxBackoff.Ticks, webhook.InitialBackoff.Ticks * factor);
        return TimeSpan.FromTicks((long)ticks);
    }

    private void StoreFailed(QuotaException e)
    {
        lock (_inFlight)
        {
            if (_storeFailing)
            {
                return;
            }

            _storeFailing = true;
        }

        Log.StoreFailing(logger, e.Message);
    }

    private void StoreBack()
    {
        lock (_inFlight)
        {
            _storeFailing = false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1610, LogLevel.Information, "Webhook delivery to {Url} started as consumer {Consumer}")]
        public static partial void Started(ILogger logger, string url, string consumer);

        [LoggerMessage(1611, LogLevel.Warning, "Webhook for event {EventId} ({Type}) failed {Attempts} times (last: {Error}); moved to the failed list (quotactl events redeliver)")]
        public static partial void GaveUp(ILogger logger, string eventId, string type, long attempts, string error);

        [LoggerMessage(1612, LogLevel.Warning, "Webhook delivery cannot reach the store ({Reason}); events wait and are taken over or retried when it answers")]
        public static partial void StoreFailing(ILogger logger, string reason);
    }
}
