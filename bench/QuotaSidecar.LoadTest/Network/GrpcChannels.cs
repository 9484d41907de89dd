using System.Net.Sockets;
using Grpc.Net.Client;

namespace QuotaSidecar.LoadTest.Network;

/// <summary>
/// gRPC channels the way an application would open one to its sidecar: HTTP/2 without TLS, one channel per target
/// (more connections only when a connection's stream limit is reached).
/// </summary>
internal static class GrpcChannels
{
    public static GrpcChannel Tcp(int port) => GrpcChannel.ForAddress($"http://127.0.0.1:{port}", Options(new SocketsHttpHandler()));

    public static GrpcChannel Unix(string path)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return GrpcChannel.ForAddress("http://localhost", Options(handler));
    }

    public static GrpcChannel For(Transport transport, int port, string unixSocket) =>
        transport == Transport.Tcp ? Tcp(port) : Unix(unixSocket);

    private static GrpcChannelOptions Options(SocketsHttpHandler handler)
    {
        handler.EnableMultipleHttp2Connections = true;
        handler.PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan;
        return new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true };
    }
}
