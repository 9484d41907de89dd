using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Client;

namespace QuotaSidecar.Cli.Connection;

/// <summary>
/// One command's channel to the sidecar, and the per-call options: a deadline on every call, and the bearer token
/// on admin calls only (the hot-path service does not take one, so it is not handed out where it is not needed).
/// </summary>
internal sealed class QuotaConnection : IDisposable
{
    private readonly SocketsHttpHandler _handler;
    private readonly GrpcChannel _channel;
    private readonly TimeProvider _time;

    public QuotaConnection(ConnectionSettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        _time = time;
        // A plain handler, not the library's long-lived one: a command makes a few calls and exits.
        _handler = new SocketsHttpHandler();
        if (settings.Target.SocketPath is { } socketPath)
        {
            _handler.ConnectCallback = new UnixSocketConnector(socketPath).ConnectAsync;
        }

        _channel = GrpcChannel.ForAddress(settings.Target.Address, new GrpcChannelOptions { HttpHandler = _handler });
        Quota = new Quota.QuotaClient(_channel);
        Admin = new QuotaAdmin.QuotaAdminClient(_channel);
    }

    public ConnectionSettings Settings { get; }

    public Quota.QuotaClient Quota { get; }

    public QuotaAdmin.QuotaAdminClient Admin { get; }

    /// <summary>Options for a call on the hot-path Quota service.</summary>
    public CallOptions HotPathCall(CancellationToken cancellationToken) =>
        new(deadline: Deadline(), cancellationToken: cancellationToken);

    /// <summary>Options for a call on QuotaAdmin: the deadline plus <c>authorization: Bearer</c> when a token is set.</summary>
    public CallOptions AdminCall(CancellationToken cancellationToken)
    {
        var headers = new Metadata();
        if (Settings.Token is { } token)
        {
            headers.Add("authorization", "Bearer " + token);
        }

        return new CallOptions(headers, Deadline(), cancellationToken);
    }

    public void Dispose()
    {
        _channel.Dispose();
        _handler.Dispose();
    }

    private DateTime Deadline() => _time.GetUtcNow().UtcDateTime + Settings.Timeout;
}
