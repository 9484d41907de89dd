using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using QuotaSidecar.Metrics;

namespace QuotaSidecar.Hosting;

/// <summary>
/// How a shed gRPC call is answered: RESOURCE_EXHAUSTED as a trailers-only response, sent only after the request
/// has been read to its end (bounded by <see cref="MaxBytes"/> and <c>Quota:Limits:ShedDrainTimeout</c>).
/// </summary>
/// <remarks>
/// Why read a request that is refused anyway: when a handler completes before the client's END_STREAM has been
/// processed, Kestrel resets the stream (RST_STREAM NO_ERROR) and keeps it as "draining" for 5 s. Shed calls are
/// answered in microseconds, so under overload a connection collected hundreds of such streams; past twice
/// <c>MaxStreamsPerConnection</c> Kestrel refuses new streams with ENHANCE_YOUR_CALM (which clients read as
/// RESOURCE_EXHAUSTED), evicts the oldest draining streams (a DATA frame still in flight for one of them is then a
/// connection error, GOAWAY STREAM_CLOSED), and after 100 refusals in 5 s closes the connection (GOAWAY
/// ENHANCE_YOUR_CALM): every healthy call on it failed with INTERNAL or UNAVAILABLE. A unary request's DATA frame
/// follows its HEADERS at once, so waiting for it costs a shed call about what reading the request costs a granted one.
/// </remarks>
internal sealed class ShedAnswer
{
    private const int GrpcFrameHeaderBytes = 5;
    private static readonly long LogEvery = Stopwatch.Frequency; // one line a second at most
    private static readonly string Message = Uri.EscapeDataString(
        "sidecar overloaded: too many requests in flight or too many per second on this connection; retry with backoff");

    private readonly HostMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly TimeSpan _drainTimeout;
    private readonly ILogger<ShedAnswer> _logger;
    private long _nextLog;
    private long _unlogged;

    public ShedAnswer(HostMetrics metrics, TimeProvider time, TimeSpan drainTimeout, int maxReceiveMessageSize, ILogger<ShedAnswer> logger)
    {
        _metrics = metrics;
        _time = time;
        _drainTimeout = drainTimeout;
        MaxBytes = (long)maxReceiveMessageSize + GrpcFrameHeaderBytes;
        _logger = logger;
    }

    /// <summary>The most request bytes read before answering: one gRPC message of the largest size accepted.</summary>
    public long MaxBytes { get; }

    /// <summary>Counts the call as shed, reads its request to the end (bounded), then sets the RESOURCE_EXHAUSTED answer.</summary>
    public async ValueTask AnswerAsync(HttpContext context, CancellationToken aborted)
    {
        _metrics.Shed();
        var undrained = await DrainAsync(context.Request.BodyReader, aborted);
        if (undrained is not null)
        {
            Undrained(undrained);
        }

        // A trailers-only gRPC response, so clients see RESOURCE_EXHAUSTED rather than a bare HTTP 503.
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = "8";
        response.Headers["grpc-message"] = Message;
    }

    /// <summary>Null once the request has ended (or the client reset it); otherwise which bound stopped the reading.</summary>
    private async ValueTask<string?> DrainAsync(PipeReader body, CancellationToken aborted)
    {
        long read = 0;
        try
        {
            // Usually the DATA frame with END_STREAM has already arrived: no timer needed.
            if (body.TryRead(out var ready))
            {
                read += ready.Buffer.Length;
                body.AdvanceTo(ready.Buffer.End);
                if (ready.IsCompleted)
                {
                    return null;
                }
            }

            using var timeout = new CancellationTokenSource(_drainTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, aborted);
            while (read <= MaxBytes)
            {
                var result = await body.ReadAsync(linked.Token);
                read += result.Buffer.Length;
                body.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return null;
                }
            }

            return "too_large";
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return "timeout";
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            return null; // the client reset the stream or the connection: Kestrel tracks nothing more for it
        }
    }

    private void Undrained(string reason)
    {
        _metrics.ShedUndrained(reason);
        var now = Stopwatch.GetTimestamp();
        var next = Volatile.Read(ref _nextLog);
        if (now >= next && Interlocked.CompareExchange(ref _nextLog, now + LogEvery, next) == next)
        {
            HostLog.ShedUndrained(_logger, reason, _drainTimeout, MaxBytes, Interlocked.Exchange(ref _unlogged, 0));
        }
        else
        {
            Interlocked.Increment(ref _unlogged);
        }
    }
}
