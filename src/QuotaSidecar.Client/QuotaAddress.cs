using System.Diagnostics.CodeAnalysis;

namespace QuotaSidecar.Client;

/// <summary>A parsed <see cref="QuotaClientOptions.Address"/>: the URI the channel is made for, and the socket path if any.</summary>
internal sealed class QuotaAddress
{
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

        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = address["unix:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal))
            {
                path = path[2..];
            }

            if (!Path.IsPathRooted(path))
            {
                error = $"a Unix socket address needs an absolute path, as unix:/run/quota.sock (got '{address}')";
                return false;
            }

            parsed = new QuotaAddress(SocketAuthority, path);
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
}
