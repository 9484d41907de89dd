using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using QuotaSidecar.Tests.Infrastructure;
using StandardWebhooks;

namespace QuotaSidecar.Tests.Events;

/// <summary>
/// A real HTTP server (Kestrel on a free loopback port) that receives webhooks and verifies each signature with the
/// StandardWebhooks package, an implementation independent of the sidecar's. <see cref="Respond"/> decides each
/// answer (a status code, after any wait it likes).
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private readonly ConcurrentQueue<Received> _received = new();
    private WebApplication? _app;
    private int _requests;

    /// <summary>Given the request number (0, 1, ...) and the request, the status to answer.</summary>
    public Func<int, Received, Task<int>> Respond { get; set; } = (_, _) => Task.FromResult(204);

    public string Url { get; private set; } = "";

    /// <summary>Every request, in arrival order, whatever was answered.</summary>
    public IReadOnlyList<Received> Requests => [.. _received];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        (receiver._app, receiver.Url) = await LoopbackHttpServer.StartAsync("/hooks", (RequestDelegate)receiver.HandleAsync);
        return receiver;
    }

    public async Task<List<Received>> WaitForAsync(Func<IReadOnlyList<Received>, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(Requests) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return [.. Requests];
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var verified = true;
        try
        {
            new StandardWebhook(Secret).Verify(body, context.Request.Headers);
        }
        catch (Exception)
        {
            verified = false;
        }

        using var json = JsonDocument.Parse(body);
        var received = new Received(
            context.Request.Headers["webhook-id"].ToString(),
            json.RootElement.GetProperty("type").GetString()!,
            json.RootElement.GetProperty("data").GetProperty("account_id").GetString()!,
            json.RootElement.GetProperty("data").GetProperty("balance").GetInt64(),
            verified,
            body);
        _received.Enqueue(received);
        var n = Interlocked.Increment(ref _requests) - 1;
        context.Response.StatusCode = await Respond(n, received);
    }

    internal sealed record Received(string Id, string Type, string AccountId, long Balance, bool SignatureValid, string Body);
}
