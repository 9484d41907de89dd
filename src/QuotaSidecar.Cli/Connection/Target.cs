using System.Diagnostics.CodeAnalysis;
using QuotaSidecar.Client;

namespace QuotaSidecar.Cli.Connection;

/// <summary>
/// Where the sidecar listens: an http(s) address, or a Unix domain socket (<c>unix:/run/quota.sock</c>), the
/// usual way a sidecar is reached from inside its pod without opening a port. A client library
/// <see cref="QuotaAddress"/>, read more leniently than the library reads its configuration, because an operator
/// types it: the scheme in any case, a relative socket path, a bare <c>host:port</c>.
/// </summary>
internal sealed class Target
{
    public const string Syntax = "http://host:port, https://host:port or unix:/path/to.sock";

    private Target(QuotaAddress address) => Parsed = address;

    /// <summary>The client library's form of the target, which the channel is built from.</summary>
    public QuotaAddress Parsed { get; }

    /// <summary>The address the gRPC channel is created for (<c>http://localhost</c> for a socket).</summary>
    public Uri Address => Parsed.Uri;

    /// <summary>The full socket path, or null for a TCP target.</summary>
    public string? SocketPath => Parsed.SocketPath;

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

        if (QuotaAddress.UnixSocketPath(text, StringComparison.OrdinalIgnoreCase) is { } path)
        {
            if (path.Length == 0)
            {
                error = $"must name a socket path, e.g. unix:/run/quota/sidecar.sock (got '{text}')";
                return false;
            }

            target = new Target(QuotaAddress.ForUnixSocket(Path.GetFullPath(path)));
            error = null;
            return true;
        }

        // Not a unix: address in any case, so the library reads it as an http(s) URL; quotactl also wants a host.
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (!QuotaAddress.TryParse(withScheme, out var address, out _) || address.Uri.Host.Length == 0)
        {
            error = $"must be {Syntax} (got '{text}')";
            return false;
        }

        target = new Target(address);
        error = null;
        return true;
    }

    /// <summary>The target as an operator would type it again.</summary>
    public override string ToString() => SocketPath is null ? Address.GetLeftPart(UriPartial.Authority) : "unix:" + SocketPath;
}
