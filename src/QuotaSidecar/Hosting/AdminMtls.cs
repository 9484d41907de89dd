using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using QuotaSidecar.Configuration;

namespace QuotaSidecar.Hosting;

/// <summary>The optional mutual-TLS listener for the admin API: a client certificate from the configured CA is required.</summary>
internal static class AdminMtls
{
    public static void Listen(KestrelServerOptions kestrel, QuotaOptions o)
    {
        if (!o.Admin.MtlsEnabled || !IPAddress.TryParse(o.Grpc.Host, out var address)
            || !File.Exists(o.Admin.CertificatePath) || !File.Exists(o.Admin.KeyPath) || !File.Exists(o.Admin.ClientCaPath))
        {
            return; // reported by the options validator
        }

        var certificate = Load("Quota:Admin:CertificatePath and Quota:Admin:KeyPath", () => X509Certificate2.CreateFromPemFile(o.Admin.CertificatePath!, o.Admin.KeyPath));
        var clientCa = Load("Quota:Admin:ClientCaPath", () => X509CertificateLoader.LoadCertificateFromFile(o.Admin.ClientCaPath!));
        kestrel.Listen(address, o.Admin.MtlsPort, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(https =>
            {
                https.ServerCertificate = certificate;
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (client, _, _) => IssuedBy(client, clientCa);
            });
        });
    }

    private static X509Certificate2 Load(string settings, Func<X509Certificate2> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"{settings} could not be loaded ({e.Message.TrimEnd('.')}): use readable PEM files, the key matching the certificate", e);
        }
    }

    /// <summary>True when <paramref name="client"/> chains to <paramref name="ca"/> (and only to it).</summary>
    private static bool IssuedBy(X509Certificate2 client, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")); // client auth
        return chain.Build(client);
    }
}
