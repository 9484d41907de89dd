using Grpc.Net.Client;

namespace QuotaSidecar.Client;

/// <summary>Channels to a sidecar without dependency injection (with it, use <c>services.AddQuotaClient</c>).</summary>
public static class QuotaChannel
{
    /// <summary>
    /// A channel to <paramref name="address"/> (<c>http://127.0.0.1:7070</c> or <c>unix:/run/quota.sock</c>). Make one
    /// per process and keep it: it holds the connection. Wrap it with <c>new QuotaClient(channel.CreateCallInvoker())</c>.
    /// </summary>
    public static GrpcChannel ForAddress(string address)
    {
        var parsed = QuotaAddress.Parse(address);
        return GrpcChannel.ForAddress(parsed.Uri, new GrpcChannelOptions { HttpHandler = UnixSocketConnector.Handler(parsed), DisposeHttpClient = true });
    }
}
