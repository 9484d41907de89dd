using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using QuotaSidecar.Tests.Tracing.Otlp;

namespace QuotaSidecar.Tests.Tracing;

/// <summary>
/// A real OTLP/HTTP trace receiver (protobuf, <c>POST /v1/traces</c>) on Kestrel: what the sidecar's exporter sends
/// is parsed with the tests' own minimal messages (otlp_trace.proto) and kept as <see cref="ReceivedSpan"/>s.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private int _exports;

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>The base address, as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> takes it (the exporter appends /v1/traces).</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>Export requests received (any, even empty or unparsable).</summary>
    public int Exports => Volatile.Read(ref _exports);

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    /// <summary>Listens on <paramref name="port"/> of 127.0.0.1 (0: a free one).</summary>
    public static async Task<OtlpReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.Endpoint = app.Urls.Single().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);
        return receiver;
    }

    /// <summary>Polls until <paramref name="found"/> holds for the spans received so far, or the deadline passes.</summary>
    public async Task<bool> WaitForAsync(Func<IReadOnlyCollection<ReceivedSpan>, bool> found, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (found(_spans))
            {
                return true;
            }

            await Task.Delay(50);
        }

        return found(_spans);
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _exports);
        if (context.Request.Method != "POST" || context.Request.Path != "/v1/traces")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var request = ExportTraceRequest.Parser.ParseFrom(body.ToArray());
        foreach (var resource in request.ResourceSpans)
        {
            var service = resource.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value?.StringValue ?? "";
            foreach (var scope in resource.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    _spans.Enqueue(new ReceivedSpan(
                        Convert.ToHexStringLower(span.TraceId.Span),
                        Convert.ToHexStringLower(span.SpanId.Span),
                        Convert.ToHexStringLower(span.ParentSpanId.Span),
                        span.Name,
                        span.Kind,
                        scope.Scope?.Name ?? "",
                        service,
                        span.Attributes.ToDictionary(a => a.Key, a => Text(a.Value))));
                }
            }
        }

        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(new ExportTraceResponse().ToByteArray());
    }

    private static string Text(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => "",
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One span as received; ids in lower-case hex, the parent id empty for a root.</summary>
internal sealed record ReceivedSpan(
    string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, string Scope, string Service, IReadOnlyDictionary<string, string> Attributes)
{
    public const int ServerKind = 2;

    public string? Attribute(string key) => Attributes.TryGetValue(key, out var value) ? value : null;

    public override string ToString() =>
        $"{Name} kind={Kind} scope={Scope} trace={TraceId} span={SpanId} parent={ParentSpanId} " + string.Join(" ", Attributes.Select(a => $"{a.Key}={a.Value}"));
}
