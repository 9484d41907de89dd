namespace QuotaSidecar.Configuration;

public sealed class RedisOptions
{
    /// <summary>StackExchange.Redis configuration string, e.g. <c>redis:6379,ssl=true,user=quota,password=...</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Prefix of every key this sidecar writes.</summary>
    /// <value>The default value is <c>quota</c>.</value>
    public string KeyPrefix { get; set; } = "quota";

    /// <summary>Ledger entries kept per account (the stream is trimmed beyond).</summary>
    /// <value>The default value is 10,000.</value>
    public int MaxLedgerEntries { get; set; } = 10_000;

    /// <summary>PEM file of the CA that signed Redis's TLS certificate, when the machine does not trust it already
    /// (a private CA). Setting it turns TLS on.</summary>
    public string? TlsCaFile { get; set; }

    /// <summary>PEM client certificate for Redis <c>tls-auth-clients</c>; with <see cref="TlsKeyFile"/>. Turns TLS on.</summary>
    public string? TlsCertFile { get; set; }

    /// <summary>PEM private key of <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; set; }
}
