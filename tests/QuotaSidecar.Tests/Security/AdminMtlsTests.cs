using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Security;

/// <summary>Admin over mutual TLS on its own port, against the real executable, with certificates made here.</summary>
public sealed class AdminMtlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("quota-mtls-").FullName;

    [Fact]
    public async Task Admin_needs_a_client_certificate_from_the_configured_ca_on_the_mtls_port_only()
    {
        using var ca = Authority("CN=quota-admin-ca");
        using var server = Issue(ca, "CN=127.0.0.1", serverAuth: true);
        using var client = Issue(ca, "CN=operator", serverAuth: false);
        using var stranger = Issue(Authority("CN=someone-else"), "CN=intruder", serverAuth: false);
        await File.WriteAllTextAsync(Path.Combine(_dir, "server.pem"), server.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_dir, "server.key"), server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await File.WriteAllTextAsync(Path.Combine(_dir, "ca.pem"), ca.ExportCertificatePem());
        var mtlsPort = SidecarProcess.FreePort();
        await using var sidecar = await SidecarProcess.StartAsync(new Dictionary<string, string>
        {
            ["Quota__Admin__MtlsPort"] = mtlsPort.ToString(CultureInfo.InvariantCulture),
            ["Quota__Admin__CertificatePath"] = Path.Combine(_dir, "server.pem"),
            ["Quota__Admin__KeyPath"] = Path.Combine(_dir, "server.key"),
            ["Quota__Admin__ClientCaPath"] = Path.Combine(_dir, "ca.pem"),
        });

        var ok = await AdminCall($"https://127.0.0.1:{mtlsPort}", ca, client);
        var plain = await AdminCall(sidecar.TcpTarget, ca, clientCertificate: null);
        var noCert = await AdminCall($"https://127.0.0.1:{mtlsPort}", ca, clientCertificate: null);
        var wrongCa = await AdminCall($"https://127.0.0.1:{mtlsPort}", ca, stranger);

        Assert.Equal(StatusCode.OK, ok.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, plain.StatusCode);
        Assert.Contains($"mTLS on port {mtlsPort}", plain.Detail, StringComparison.Ordinal);
        Assert.NotEqual(StatusCode.OK, noCert.StatusCode);
        Assert.NotEqual(StatusCode.OK, wrongCa.StatusCode);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<Status> AdminCall(string address, X509Certificate2 ca, X509Certificate2? clientCertificate)
    {
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && ChainsTo(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), ca),
            },
        };
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
        try
        {
            await new QuotaAdmin.QuotaAdminClient(channel).UpsertAccountAsync(new UpsertAccountRequest { AccountId = "mtls-made" }, Calls.Deadline);
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string name, bool serverAuth)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }

        var serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
        return issued.CopyWithPrivateKey(key);
    }
}
