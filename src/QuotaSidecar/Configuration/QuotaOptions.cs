using QuotaSidecar.Core.Accounts;

namespace QuotaSidecar.Configuration;

/// <summary>
/// Everything the sidecar reads from the <c>Quota</c> configuration section (appsettings.json, overridable by
/// environment variables such as <c>Quota__Grpc__Port</c>). Validated at start with messages that say what to fix.
/// </summary>
public sealed class QuotaOptions
{
    public const string Section = "Quota";

    /// <summary>The Quota and QuotaAdmin gRPC endpoint.</summary>
    public GrpcEndpointOptions Grpc { get; set; } = new();

    /// <summary>The HTTP endpoint for <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>.</summary>
    public HttpEndpointOptions Http { get; set; } = new();

    /// <summary>The admin API's bearer token.</summary>
    public AdminOptions Admin { get; set; } = new();

    /// <summary>Where the central balance lives.</summary>
    /// <value>The default value is <see cref="StoreKind.Embedded"/>.</value>
    public StoreKind Store { get; set; } = StoreKind.Embedded;

    /// <summary>The Redis store (when <see cref="Store"/> is Redis).</summary>
    public RedisOptions Redis { get; set; } = new();

    /// <summary>Settlement timing.</summary>
    public SettleOptions Settle { get; set; } = new();

    /// <summary>Hold TTLs.</summary>
    public HoldOptions Holds { get; set; } = new();

    /// <summary>Lease sizing and lifetime.</summary>
    public LeaseOptions Leases { get; set; } = new();

    /// <summary>Graceful shutdown.</summary>
    public ShutdownOptions Shutdown { get; set; } = new();

    /// <summary>This sidecar's name (e.g. the pod name); a random suffix is added per process start.</summary>
    /// <value>The default value is the machine name.</value>
    public string InstanceName { get; set; } = Environment.MachineName;

    /// <summary>Fail-open: credits per account that may be granted beyond the lease while the store is unreachable.</summary>
    /// <value>The default value is 0 (fail-closed: DENIED with STORE_UNAVAILABLE).</value>
    public long FailOpenAllowance { get; set; }

    /// <summary>Accounts and grants created at start (idempotent), so a fresh sidecar has something to serve.</summary>
    public SeedOptions Seed { get; set; } = new();

    /// <summary>Account ids the Quota API of this sidecar may spend (an entry ending in <c>*</c> is a prefix). Empty:
    /// any. A compromised app can then spend only the accounts it is meant to.</summary>
    public List<string> AllowedAccounts { get; set; } = [];

    /// <summary>Protection against overload and abuse.</summary>
    public LimitOptions Limits { get; set; } = new();
}

public sealed class LimitOptions
{
    /// <summary>gRPC requests served at once; beyond it requests are shed at once with RESOURCE_EXHAUSTED.</summary>
    /// <value>The default value is 512.</value>
    public int MaxConcurrentRequests { get; set; } = 512;

    /// <summary>gRPC requests per second one connection may send (token bucket, bursts up to one second's worth); 0: no limit.</summary>
    /// <value>The default value is 100,000.</value>
    public int RequestsPerSecondPerConnection { get; set; } = 100_000;

    /// <summary>Concurrent HTTP/2 streams per connection.</summary>
    /// <value>The default value is 256.</value>
    public int MaxStreamsPerConnection { get; set; } = 256;

    /// <summary>An account with nothing local (no lease, holds or unreported usage) unused this long is forgotten.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan EvictIdleAccountsAfter { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Which central ledger the sidecar uses.</summary>
public enum StoreKind
{
    /// <summary>In-process; nothing else needed (the default).</summary>
    Embedded,

    /// <summary>A Redis server or cluster shared by every sidecar.</summary>
    Redis,
}

public sealed class GrpcEndpointOptions
{
    /// <summary>IP address the gRPC endpoint binds to. Anything but loopback logs a warning.</summary>
    /// <value>The default value is 127.0.0.1.</value>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port of the gRPC endpoint (HTTP/2 without TLS); 0 disables TCP (Unix socket only).</summary>
    /// <value>The default value is 7070.</value>
    public int Port { get; set; } = 7070;

    /// <summary>Optional path of a Unix domain socket to listen on as well; a stale socket file is removed at start.</summary>
    public string? UnixSocket { get; set; }

    /// <summary>Largest request message accepted, in bytes.</summary>
    /// <value>The default value is 65,536.</value>
    public int MaxReceiveMessageSize { get; set; } = 64 * 1024;
}

public sealed class HttpEndpointOptions
{
    /// <summary>IP address of the metrics and health endpoint (0.0.0.0 in a pod so probes reach it).</summary>
    /// <value>The default value is 127.0.0.1.</value>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port for <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>.</summary>
    /// <value>The default value is 9090.</value>
    public int Port { get; set; } = 9090;
}

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

public sealed class SettleOptions
{
    /// <summary>How often usage is reported and leases renewed.</summary>
    /// <value>The default value is 250 ms.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(250);
}

public sealed class HoldOptions
{
    /// <summary>Hold TTL when a Reserve names none.</summary>
    /// <value>The default value is 60 s.</value>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest TTL a Reserve may ask for (reservation ids are remembered this long).</summary>
    /// <value>The default value is 1 h.</value>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromHours(1);
}

public sealed class LeaseOptions
{
    /// <summary>A lease not renewed within this time is reclaimed by the store.</summary>
    /// <value>The default value is 30 s.</value>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A lease aims to cover this much time of the observed rate.</summary>
    /// <value>The default value is 2 s.</value>
    public TimeSpan RefillHorizon { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Smallest lease target, in credits.</summary>
    /// <value>The default value is 100.</value>
    public long Min { get; set; } = 100;

    /// <summary>Largest lease target, in credits.</summary>
    /// <value>The default value is 1,000,000.</value>
    public long Max { get; set; } = 1_000_000;

    /// <summary>Largest share of the central available credits one take may lease.</summary>
    /// <value>The default value is 0.10.</value>
    public double MaxShare { get; set; } = 0.10;

    /// <summary>Unused credits of an account idle this long go back to the store.</summary>
    /// <value>The default value is 10 s.</value>
    public TimeSpan IdleReturnAfter { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class ShutdownOptions
{
    /// <summary>Time allowed at SIGTERM to settle usage and return leases before the process exits.</summary>
    /// <value>The default value is 10 s.</value>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class SeedOptions
{
    /// <summary>Accounts to create (or update) at start, each with one grant of <see cref="SeedAccount.Credits"/>.</summary>
    public List<SeedAccount> Accounts { get; set; } = [];
}

public sealed class SeedAccount
{
    public string AccountId { get; set; } = "";

    /// <summary>Credits of the account's seed grant (grant id <c>seed-&lt;account&gt;</c>); 0: none.</summary>
    public long Credits { get; set; }

    public OverageMode OverageMode { get; set; } = OverageMode.Hard;

    public long OverageLimit { get; set; }

    public long LowBalanceThreshold { get; set; }

    public string Unit { get; set; } = "";
}
