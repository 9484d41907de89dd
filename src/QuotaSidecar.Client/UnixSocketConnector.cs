using System.Net.Sockets;

namespace QuotaSidecar.Client;

/// <summary>Connects every HTTP/2 connection of the channel to the sidecar's Unix domain socket.</summary>
internal sealed class UnixSocketConnector(string path)
{
    private readonly UnixDomainSocketEndPoint _endPoint = new(path);

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(_endPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A handler for <paramref name="address"/>: HTTP/2 without TLS, over the socket when it names one.</summary>
    public static SocketsHttpHandler Handler(QuotaAddress address)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan, // one long-lived connection to a local sidecar
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        if (address.SocketPath is { } path)
        {
            handler.ConnectCallback = new UnixSocketConnector(path).ConnectAsync;
        }

        return handler;
    }
}
