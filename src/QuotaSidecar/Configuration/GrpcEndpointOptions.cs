namespace QuotaSidecar.Configuration;

public sealed class GrpcEndpointOptions
{
    /// <summary>IP address the gRPC endpoint binds to. Anything but loopback logs a warning.</summary>
    /// <value>The default value is 127.0.0.1.</value>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port of the gRPC endpoint (HTTP/2 without TLS); 0 disables TCP (Unix socket only).</summary>
    /// <value>The default value is 7070.</value>
    public int Port { get; set; } = 7070;

    /// <summary>Optional path of a Unix domain socket to listen on as well; a stale socket file is removed at start.</summary>
    public string? UnixSocket { get; set; }

    /// <summary>Largest request message accepted, in bytes.</summary>
    /// <value>The default value is 65,536.</value>
    public int MaxReceiveMessageSize { get; set; } = 64 * 1024;
}
