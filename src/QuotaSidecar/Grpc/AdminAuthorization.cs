using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;

namespace QuotaSidecar.Grpc;

/// <summary>The admin API's bearer-token check: disabled without a token, constant-time comparison with one.</summary>
internal sealed class AdminAuthorization(IOptions<QuotaOptions> options)
{
    private readonly AdminOptions _admin = options.Value.Admin;

    // Compared as SHA-256 digests so neither the content nor the length of the token leaks through timing.
    private readonly byte[]? _token = options.Value.Admin.Token is { Length: > 0 } t ? SHA256.HashData(Encoding.UTF8.GetBytes(t)) : null;

    public void Check(ServerCallContext context)
    {
        if (_admin.MtlsEnabled)
        {
            // Kestrel already required and validated the client certificate on that port.
            var connection = context.GetHttpContext().Connection;
            if (connection.LocalPort != _admin.MtlsPort || connection.ClientCertificate is null)
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, $"the admin API is served only over mTLS on port {_admin.MtlsPort}"));
            }

            if (_token is null)
            {
                return;
            }
        }

        if (_token is null)
        {
            throw new RpcException(new Status(
                StatusCode.PermissionDenied,
                "the admin API is disabled on this sidecar; set Quota__Admin__Token (at least 16 characters) to enable it"));
        }

        var header = context.RequestHeaders.GetValue("authorization");
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "admin calls need the metadata 'authorization: Bearer <token>'"));
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(presented, _token))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the admin token is not valid"));
        }
    }
}
