using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Hosting;

/// <summary>Admin over mutual TLS on its own port, against the real executable, with certificates made here.</summary>
public sealed class AdminMtlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("quota-mtls-").FullName;

    [Fact]
    public async Task Admin_needs_a_client_certificate_from_the_configured_ca_on_the_mtls_port_only()
    {
        using var ca = TestCertificates.Authority("CN=quota-admin-ca");
        using var server = TestCertificates.Issue(ca, "CN=127.0.0.1", serverAuth: true);
        using var client = TestCertificates.Issue(ca, "CN=operator", serverAuth: false);
        using var stranger = TestCertificates.Issue(TestCertificates.Authority("CN=someone-else"), "CN=intruder", serverAuth: false);
        await File.WriteAllTextAsync(Path.Combine(_dir, "server.pem"), server.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_dir, "server.key"), server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await File.WriteAllTextAsync(Path.Combine(_dir, "ca.pem"), ca.ExportCertificatePem());
        var mtlsPort = FreePort.Next();
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
}
