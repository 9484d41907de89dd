using System.Net;
using System.Net.Sockets;

namespace QuotaSidecar.Testing.Processes;

/// <summary>Free TCP ports on 127.0.0.1, for servers that must be told their port (the sidecar cannot take 0).</summary>
public static class FreePort
{
    private static readonly HashSet<int> Handed = [];

    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (Handed)
            {
                // Never hand out the same port twice in one run, even if the first taker has not bound it yet.
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
