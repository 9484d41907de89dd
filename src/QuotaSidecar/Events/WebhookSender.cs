using System.Globalization;
using System.Net.Http.Headers;
using QuotaSidecar.Core.Events;

namespace QuotaSidecar.Events;

/// <summary>POSTs one event to <c>Quota:Events:Webhook:Url</c>, signed as Standard Webhooks says: <c>webhook-id</c> (the
/// event id, the same on every attempt), <c>webhook-timestamp</c> (seconds, this attempt), <c>webhook-signature</c>.</summary>
internal sealed class WebhookSender : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan, // each attempt has its own, on the injected clock
    };

    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly Uri _url;
    private readonly byte[] _key;

    public WebhookSender(WebhookOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _url = new Uri(options.Url!);
        if (!WebhookSignature.TryReadSecret(options.Secret, out _key))
        {
            throw new InvalidOperationException("Quota:Events:Webhook:Secret is not a valid whsec_ secret");
        }
    }

    /// <summary>Null when the receiver answered 2xx; else why the attempt failed.</summary>
    public async Task<string?> SendAsync(BalanceEvent e, CancellationToken cancellationToken)
    {
        var body = WebhookBody.Write(e);
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("webhook-id", e.Id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Sign(_key, e.Id, timestamp, body));
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (HttpRequestException x)
        {
            return x.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {_options.Timeout}";
        }
    }

    public void Dispose() => _http.Dispose();
}
