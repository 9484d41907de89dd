using System.Diagnostics.CodeAnalysis;

namespace QuotaSidecar.Cli.Connection;

/// <summary>
/// Where the sidecar listens: an http(s) address, or a Unix domain socket (<c>unix:/run/quota.sock</c>), the
/// usual way a sidecar is reached from inside its pod without opening a port.
/// </summary>
internal sealed class Target
{
    public const string Syntax = "http://host:port, https://host:port or unix:/path/to.sock";

    // gRPC over a Unix socket still needs an HTTP authority; the name is never resolved.
    private static readonly Uri SocketAuthority = new("http://localhost");

    private Target(Uri address, string? socketPath)
    {
        Address = address;
        SocketPath = socketPath;
    }

    /// <summary>The address the gRPC channel is created for (<c>http://localhost</c> for a socket).</summary>
    public Uri Address { get; }

    /// <summary>The full socket path, or null for a TCP target.</summary>
    public string? SocketPath { get; }

    /// <summary>
    /// Accepts <c>unix:PATH</c> and <c>unix://PATH</c> (the gRPC naming forms), absolute http(s) URLs, and a bare
    /// <c>host:port</c>, which means plain-text http as a sidecar on localhost usually serves.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Target? target, [NotNullWhen(false)] out string? error)
    {
        target = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"must be {Syntax} (got '')";
            return false;
        }

        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            var path = text["unix:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal))
            {
                path = path[2..];
            }

            if (path.Length == 0)
            {
                error = $"must name a socket path, e.g. unix:/run/quota/sidecar.sock (got '{text}')";
                return false;
            }

            target = new Target(SocketAuthority, Path.GetFullPath(path));
            error = null;
            return true;
        }

        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var address)
            || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
            || address.Host.Length == 0)
        {
            error = $"must be {Syntax} (got '{text}')";
            return false;
        }

        target = new Target(address, socketPath: null);
        error = null;
        return true;
    }

    /// <summary>The target as an operator would type it again.</summary>
    public override string ToString() => SocketPath is null ? Address.GetLeftPart(UriPartial.Authority) : "unix:" + SocketPath;
}
