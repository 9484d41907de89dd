using System.Diagnostics.CodeAnalysis;

namespace QuotaSidecar.Client;

/// <summary>A parsed <see cref="QuotaClientOptions.Address"/>: the URI the channel is made for, and the socket path if any.</summary>
/// <remarks>quotactl builds its targets from these pieces too (it is a friend assembly), so there is one address
/// form and one connector for both.</remarks>
internal sealed class QuotaAddress
{
    private const string UnixScheme = "unix:";

    // gRPC over a Unix socket still needs an HTTP authority; the name is never resolved.
    private static readonly Uri SocketAuthority = new("http://localhost");

    private QuotaAddress(Uri uri, string? socketPath)
    {
        Uri = uri;
        SocketPath = socketPath;
    }

    public Uri Uri { get; }

    public string? SocketPath { get; }

    public static QuotaAddress Parse(string address) =>
        TryParse(address, out var parsed, out var error) ? parsed : throw new ArgumentException(error, nameof(address));

    public static bool TryParse(string? address, [NotNullWhen(true)] out QuotaAddress? parsed, [NotNullWhen(false)] out string? error)
    {
        parsed = null;
        if (string.IsNullOrWhiteSpace(address))
        {
            error = "an address is required: http://127.0.0.1:7070 or unix:/path/to/quota.sock";
            return false;
        }

        if (UnixSocketPath(address, StringComparison.Ordinal) is { } path)
        {
            if (!Path.IsPathRooted(path))
            {
                error = $"a Unix socket address needs an absolute path, as unix:/run/quota.sock (got '{address}')";
                return false;
            }

            parsed = ForUnixSocket(path);
            error = null;
            return true;
        }

        if (Uri.TryCreate(address, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            parsed = new QuotaAddress(uri, null);
            error = null;
            return true;
        }

        error = $"expected http://host:port, https://host:port or unix:/path (got '{address}')";
        return false;
    }

    /// <summary>The path of a <c>unix:PATH</c> or <c>unix://PATH</c> address (the gRPC naming forms), possibly empty;
    /// null when <paramref name="address"/> is not a Unix socket address.</summary>
    /// <param name="address">The address as written.</param>
    /// <param name="scheme">How the <c>unix:</c> prefix is matched: exactly here, ignoring case in quotactl, where an
    /// operator types it.</param>
    public static string? UnixSocketPath(string address, StringComparison scheme)
    {
        if (!address.StartsWith(UnixScheme, scheme))
        {
            return null;
        }

        var path = address[UnixScheme.Length..];
        return path.StartsWith("//", StringComparison.Ordinal) ? path[2..] : path;
    }

    /// <summary>The address of the socket at <paramref name="path"/> (already checked by the caller).</summary>
    public static QuotaAddress ForUnixSocket(string path) => new(SocketAuthority, path);
}
