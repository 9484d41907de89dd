namespace QuotaSidecar.Configuration;

public sealed class AdminOptions
{
    /// <summary>Bearer token for the QuotaAdmin service. Unset (and no mTLS): the admin API is disabled.</summary>
    public string? Token { get; set; }

    /// <summary>Optional mutual TLS for admin: with <see cref="MtlsPort"/> set, QuotaAdmin is served only on that port,
    /// over TLS with a client certificate issued by <see cref="ClientCaPath"/> (the token, if set, is still required).</summary>
    /// <value>The default value is 0 (no mTLS listener).</value>
    public int MtlsPort { get; set; }

    /// <summary>PEM server certificate for the mTLS admin port.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PEM certificate of the CA that issues admin client certificates.</summary>
    public string? ClientCaPath { get; set; }

    public bool MtlsEnabled => MtlsPort > 0;
}
