using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Usage;

/// <summary>
/// The usage export (docs/design.md#usage-export): told by the engine about every exchange the store applied
/// (<see cref="IUsageSink"/>, on the exchange's thread: it only queues), it sends one CloudEvent per account and label
/// set of the exchange's usage, the unlabelled rest included, in batches from a background loop. The queue is bounded
/// (<see cref="UsageExportOptions.MaxQueue"/>; the oldest are dropped, counted and logged); a batch is retried with
/// backoff until the endpoint accepts it (event ids are stable, so the receiver deduplicates a batch it got before the
/// answer was lost), or dropped if the endpoint rejects it (4xx other than 408 and 429). At shutdown, after the engine's
/// last exchanges, what is queued gets one more try.
/// </summary>
internal sealed class UsageExporter : BackgroundService, IUsageSink
{
    private static readonly long MinuteMs = (long)TimeSpan.FromMinutes(1).TotalMilliseconds;
    private readonly UsageExportOptions _options;
    private readonly string _instanceId;
    private readonly TimeProvider _time;
    private readonly ILogger<UsageExporter> _logger;
    private readonly Channel<UsageEvent> _queue;
    private readonly HttpClient _http;
    private readonly Counter<long> _exported;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _dropped;
    private readonly List<UsageEvent> _batch = [];
    private long _lastQueueFullLogMs = long.MinValue;

    public UsageExporter(IOptions<QuotaOptions> options, TimeProvider time, IMeterFactory meters, ILogger<UsageExporter> logger)
    {
        var quota = options.Value;
        _options = quota.Usage.Export;
        _instanceId = quota.EngineOptions.InstanceId;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<UsageEvent>(
            new BoundedChannelOptions(_options.MaxQueue) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => QueueFull());
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // each POST has its own timeout, on the injected clock
        if (_options.Authorization is { Length: > 0 } authorization)
        {
            _http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        var meter = meters.Create(EngineMetrics.MeterName);
        _exported = meter.CreateCounter<long>("quota.usage.export.exported", "{event}", "Usage CloudEvents the export endpoint accepted.");
        _failed = meter.CreateCounter<long>("quota.usage.export.failed", "{post}", "POSTs of usage CloudEvents that failed (retried, or dropped if rejected).");
        _dropped = meter.CreateCounter<long>("quota.usage.export.dropped", "{event}", "Usage CloudEvents never sent: queue full (oldest dropped), rejected by the endpoint, or unsent at shutdown.");
        meter.CreateObservableGauge("quota.usage.export.queue", () => (long)_queue.Reader.Count, "{event}", "Usage CloudEvents waiting to be sent.");
    }

    /// <summary>Queues the events of an applied exchange (never blocks: a full queue drops its oldest).</summary>
    public void Applied(LeaseExchange exchange, LeaseExchangeResult result)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var time = exchange.ComposedAt ?? _time.GetUtcNow();
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{_instanceId}:{exchange.AccountId}:{exchange.Sequence}:");
        var labelled = 0L;
        if (exchange.LabelUsage is { } usage)
        {
            foreach (var (labelSet, amount) in usage)
            {
                labelled += amount;
                _queue.Writer.TryWrite(new UsageEvent(prefix + SetId(labelSet), exchange.AccountId, labelSet, amount, time));
            }
        }

        if (exchange.Used > labelled)
        {
            _queue.Writer.TryWrite(new UsageEvent(prefix + "-", exchange.AccountId, null, exchange.Used - labelled, time));
        }
    }

    /// <summary>The label set's part of an event id: the first 16 hex digits of its SHA-256.</summary>
    internal static string SetId(string labelSet) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(labelSet)).AsSpan(0, 8));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // The engine stopped first (registered after this), so its last exchanges are queued: one more try for them.
        try
        {
            Take();
            while (_batch.Count > 0 && await TrySendAsync(1, cancellationToken))
            {
                Take();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout: what is left is counted below.
        }

        var unsent = _batch.Count + _queue.Reader.Count;
        if (unsent > 0)
        {
            _dropped.Add(unsent, new KeyValuePair<string, object?>("reason", "shutdown"));
            UsageExportLog.Unsent(_logger, unsent);
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        UsageExportLog.Started(_logger, _options.Endpoint!, _options.BatchSize, _options.MaxQueue);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                Take();
                for (var attempt = 1; !await TrySendAsync(attempt, stoppingToken); attempt++)
                {
                    await Task.Delay(Backoff(attempt), _time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync tries once more.
        }
    }

    /// <summary>Fills the batch from the queue, up to the batch size (a batch being retried keeps its events).</summary>
    private void Take()
    {
        while (_batch.Count < _options.BatchSize && _queue.Reader.TryRead(out var e))
        {
            _batch.Add(e);
        }
    }

    /// <summary>One POST of the batch. True when it is done with: accepted, or rejected for good (dropped); false when it
    /// should be retried.</summary>
    private async Task<bool> TrySendAsync(int attempt, CancellationToken cancellationToken)
    {
        if (_batch.Count == 0)
        {
            return true;
        }

        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        string reason;
        try
        {
            using var content = new ByteArrayContent(CloudEventBatch.Write(_batch, _options.Source, _options.Type));
            content.Headers.ContentType = new MediaTypeHeaderValue(CloudEventBatch.MediaType) { CharSet = "utf-8" };
            using var response = await _http.PostAsync(_options.Endpoint, content, linked.Token);
            if (response.IsSuccessStatusCode)
            {
                _exported.Add(_batch.Count);
                _batch.Clear();
                return true;
            }

            _failed.Add(1);
            var status = (int)response.StatusCode;
            if (status is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests))
            {
                var body = await response.Content.ReadAsStringAsync(linked.Token);
                UsageExportLog.Rejected(_logger, _options.Endpoint!, _batch.Count, status, body.Length > 500 ? body[..500] : body);
                _dropped.Add(_batch.Count, new KeyValuePair<string, object?>("reason", "rejected"));
                _batch.Clear();
                return true;
            }

            reason = $"HTTP {status}";
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _failed.Add(1);
            reason = timeout.IsCancellationRequested ? $"no answer within {_options.Timeout}" : e.Message;
        }

        UsageExportLog.PostFailed(_logger, _batch.Count, _options.Endpoint!, attempt, reason, Backoff(attempt));
        return false;
    }

    private TimeSpan Backoff(int attempt)
    {
        var ticks = _options.MinBackoff.Ticks * Math.Pow(2, Math.Min(attempt - 1, 30));
        return ticks >= _options.MaxBackoff.Ticks ? _options.MaxBackoff : TimeSpan.FromTicks((long)ticks);
    }

    private void QueueFull()
    {
        _dropped.Add(1, new KeyValuePair<string, object?>("reason", "queue_full"));

        // The process's tick count, not the injected clock: this paces log lines, it decides nothing.
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastQueueFullLogMs);
        if (now - last >= MinuteMs && Interlocked.CompareExchange(ref _lastQueueFullLogMs, now, last) == last)
        {
            UsageExportLog.QueueFull(_logger, _options.MaxQueue, _options.Endpoint!);
        }
    }
}
