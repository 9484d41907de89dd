using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Usage;

/// <summary>A real HTTP server (Kestrel on a free loopback port) standing for OpenMeter's ingest endpoint: it keeps
/// every POST's content type and CloudEvents, and answers the first <see cref="FailFirst"/> POSTs with 503.</summary>
internal sealed class EventReceiver : IAsyncDisposable
{
    private WebApplication? _app;
    private int _posts;

    /// <summary>POSTs answered 503 before the receiver accepts any.</summary>
    public int FailFirst { get; set; }

    public string Endpoint { get; private set; } = "";

    /// <summary>Every POST received, accepted or not: its content type and events.</summary>
    public ConcurrentQueue<(string ContentType, JsonElement[] Events, bool Accepted)> Posts { get; } = new();

    /// <summary>The events of accepted POSTs.</summary>
    public IEnumerable<JsonElement> Accepted => Posts.Where(p => p.Accepted).SelectMany(p => p.Events);

    public static async Task<EventReceiver> StartAsync()
    {
        var receiver = new EventReceiver();
        (receiver._app, receiver.Endpoint) = await LoopbackHttpServer.StartAsync("/api/v1/events", receiver.ReceiveAsync);
        return receiver;
    }

    /// <summary>Polls until <paramref name="condition"/> holds, for at most 20 s.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private async Task<IResult> ReceiveAsync(HttpRequest request)
    {
        var events = await JsonSerializer.DeserializeAsync<JsonElement[]>(request.Body) ?? [];
        var accepted = Interlocked.Increment(ref _posts) > FailFirst;
        Posts.Enqueue((request.ContentType ?? "", events, accepted));
        return accepted ? Results.Ok() : Results.StatusCode(503);
    }
}
