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
