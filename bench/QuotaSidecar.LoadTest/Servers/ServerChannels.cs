using Grpc.Net.Client;
using QuotaSidecar.LoadTest.Network;

namespace QuotaSidecar.LoadTest.Servers;

/// <summary>One lazily opened channel per transport to a server, disposed with it.</summary>
internal sealed class ServerChannels(int port, string unixSocket) : IDisposable
{
    private GrpcChannel? _tcp;
    private GrpcChannel? _unix;

    public int Port { get; } = port;

    public string UnixSocket { get; } = unixSocket;

    public GrpcChannel Get(Transport transport) => transport == Transport.Tcp
        ? _tcp ??= GrpcChannels.Tcp(Port)
        : _unix ??= GrpcChannels.Unix(UnixSocket);

    public void Dispose()
    {
        _tcp?.Dispose();
        _unix?.Dispose();
        File.Delete(UnixSocket);
    }
}
