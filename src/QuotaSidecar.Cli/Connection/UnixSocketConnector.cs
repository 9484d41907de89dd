using System.Net.Sockets;

namespace QuotaSidecar.Cli.Connection;

/// <summary>
/// Opens every HTTP/2 connection of a channel on a Unix domain socket instead of TCP: the
/// <see cref="SocketsHttpHandler.ConnectCallback"/> for <c>unix:</c> targets.
/// </summary>
internal sealed class UnixSocketConnector(string socketPath)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
