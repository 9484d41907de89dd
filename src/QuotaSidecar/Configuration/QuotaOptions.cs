using Microsoft.Extensions.Configuration;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Journal;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Redis;

namespace QuotaSidecar.Configuration;

/// <summary>
/// Everything the sidecar reads from the <c>Quota</c> configuration section (appsettings.json, overridable by
/// environment variables such as <c>Quota__Grpc__Port</c>). Validated at start with messages that say what to fix.
/// </summary>
/// <remarks>
/// The sections that configure the engine and the ledgers (<see cref="Holds"/>, <see cref="Leases"/>,
/// <see cref="Settle"/>, <see cref="Ledger"/>, <see cref="Redis"/>, <see cref="FailOpenAllowance"/>,
/// <see cref="LimitOptions.EvictIdleAccountsAfter"/>) read and write the layers' own options objects
/// (<see cref="EngineOptions"/>, <see cref="CentralLedgerOptions"/>, <see cref="RedisLedgerOptions"/>): binding the
/// configuration fills those directly, and every default is the one its layer declares. The settings users do not
/// set (the instance id, the timings in <see cref="DerivedTimings"/>) are filled in by
/// <see cref="DeriveLayerSettings"/>.
/// </remarks>
public sealed class QuotaOptions
{
    public const string Section = "Quota";

    public QuotaOptions()
    {
        RedisLedgerOptions = new RedisLedgerOptions { Central = CentralLedgerOptions };
        Ledger = new LedgerOptions(CentralLedgerOptions);
        Redis = new RedisOptions(RedisLedgerOptions, Ledger);
        Settle = new SettleOptions(EngineOptions);
        Holds = new HoldOptions(EngineOptions);
        Idempotency = new IdempotencyOptions(EngineOptions);
        Leases = new LeaseOptions(EngineOptions, CentralLedgerOptions);
        Limits = new LimitOptions(EngineOptions);
        StoreWaits = new StoreWaitOptions(EngineOptions);
        Journal = new JournalOptions(UsageJournalOptions);
        Usage = new UsageOptions(EngineOptions, CentralLedgerOptions);
    }

    /// <summary>Usage labels and their CloudEvents export (<c>Quota:Usage</c>).</summary>
    public UsageOptions Usage { get; }

    /// <summary>The Quota and QuotaAdmin gRPC endpoint.</summary>
    public GrpcEndpointOptions Grpc { get; set; } = new();

    /// <summary>The HTTP endpoint for <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>.</summary>
    public HttpEndpointOptions Http { get; set; } = new();

    /// <summary>The admin API's bearer token.</summary>
    public AdminOptions Admin { get; set; } = new();

    /// <summary>Balance events (<c>Quota:Events</c>): retention, watch and sweep bounds; validated by
    /// <c>Events/EventOptionsValidator</c>.</summary>
    public Core.Events.EventOptions Events { get; set; } = new();

    /// <summary>Where the central balance lives.</summary>
    /// <value>The default value is <see cref="StoreKind.Embedded"/>.</value>
    public StoreKind Store { get; set; } = StoreKind.Embedded;

    /// <summary>How long requests and exchanges wait on the store (<c>Quota:Store:MaxWait</c>,
    /// <c>Quota:Store:ExchangeTimeout</c>): the same configuration section as <see cref="Store"/>, whose value names
    /// the store while its children set the waits.</summary>
    [ConfigurationKeyName("Store")]
    public StoreWaitOptions StoreWaits { get; }

    /// <summary>The central ledger, whichever the store (<c>Quota:Ledger</c>).</summary>
    public LedgerOptions Ledger { get; }

    /// <summary>The Redis store (when <see cref="Store"/> is Redis).</summary>
    public RedisOptions Redis { get; }

    /// <summary>Settlement timing.</summary>
    public SettleOptions Settle { get; }

    /// <summary>Hold TTLs.</summary>
    public HoldOptions Holds { get; }

    /// <summary>The retry window and the cap on idempotency records (<c>Quota:Idempotency</c>).</summary>
    public IdempotencyOptions Idempotency { get; }

    /// <summary>Lease sizing and lifetime.</summary>
    public LeaseOptions Leases { get; }

    /// <summary>The usage journal (<c>Quota:Journal</c>): off unless a path is set.</summary>
    public JournalOptions Journal { get; }

    /// <summary>Graceful shutdown.</summary>
    public ShutdownOptions Shutdown { get; set; } = new();

    /// <summary>Tracing choices beyond the <c>OTEL_*</c> variables (<c>Quota:Tracing</c>).</summary>
    public TracingOptions Tracing { get; set; } = new();

    /// <summary>This sidecar's name (e.g. the pod name); a random suffix is added per process start.</summary>
    /// <value>The default value is the machine name.</value>
    public string InstanceName { get; set; } = Environment.MachineName;

    /// <summary>Fail-open: credits per account that may be granted beyond the lease while the store is unreachable
    /// (<see cref="EngineOptions.FailOpenAllowance"/>).</summary>
    /// <value>The engine's default: 0 (fail-closed: DENIED with STORE_UNAVAILABLE).</value>
    public long FailOpenAllowance
    {
        get => EngineOptions.FailOpenAllowance;
        set => EngineOptions.FailOpenAllowance = value;
    }

    /// <summary>Accounts and grants created at start (idempotent), so a fresh sidecar has something to serve.</summary>
    public SeedOptions Seed { get; set; } = new();

    /// <summary>Account ids the Quota API of this sidecar may spend (an entry ending in <c>*</c> is a prefix). Empty:
    /// any. A compromised app can then spend only the accounts it is meant to.</summary>
    public List<string> AllowedAccounts { get; set; } = [];

    /// <summary>Shadow mode for every account: a would-be denial is counted, logged and answered GRANTED with
    /// <c>shadow_denied</c> and its reason, charging nothing (docs/design.md#shadow).</summary>
    /// <value>The default value is false (denials are enforced).</value>
    public bool Shadow { get; set; }

    /// <summary>Accounts in shadow mode (an entry ending in <c>*</c> is a prefix), when <see cref="Shadow"/> is off.</summary>
    /// <value>The default value is empty (none).</value>
    public List<string> ShadowAccounts { get; set; } = [];

    /// <summary>A JSON file of the same shape as appsettings.json, layered over every other source and polled for changes:
    /// the live settings in it (log levels, Quota:AllowedAccounts, Quota:Shadow, Quota:ShadowAccounts, Quota:Envoy
    /// except Enabled) apply without a restart, any other change is logged as needing one (docs/deploy.md#live-settings).
    /// Must exist at start when set.</summary>
    /// <value>The default value is unset (no live settings file).</value>
    public string? SettingsFile { get; set; }

    /// <summary>How often <see cref="SettingsFile"/> is read for changes (100 ms to 10 minutes).</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan SettingsPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Protection against overload and abuse.</summary>
    public LimitOptions Limits { get; }

    // The layers' options the sections above bind into. Internal, so the binder does not also expose them as keys
    // of their own (Quota:EngineOptions:...): users have exactly one key per setting.

    /// <summary>The engine's options: complete after <see cref="DeriveLayerSettings"/>.</summary>
    internal EngineOptions EngineOptions { get; } = new();

    /// <summary>The usage journal's options.</summary>
    internal UsageJournalOptions UsageJournalOptions { get; } = new();

    /// <summary>The central ledger's options, shared by the embedded and the Redis ledger.</summary>
    internal CentralLedgerOptions CentralLedgerOptions { get; } = new();

    /// <summary>The Redis ledger's options; its <see cref="RedisLedgerOptions.Central"/> is <see cref="CentralLedgerOptions"/>.</summary>
    internal RedisLedgerOptions RedisLedgerOptions { get; }

    /// <summary>Fills in what the layers need but users do not set: this process's instance id (the configured name
    /// plus a random suffix), the Redis client's timeouts (the exchange timeout) and the <see cref="DerivedTimings"/>.
    /// Call once, after binding.</summary>
    internal void DeriveLayerSettings()
    {
        EngineOptions.InstanceId = EngineOptions.NewInstanceId(InstanceName);
        RedisLedgerOptions.OperationTimeout = EngineOptions.ExchangeTimeout;
        var timings = new DerivedTimings(CentralLedgerOptions.LeaseTtl, EngineOptions.SettleInterval);
        EngineOptions.LeaseRenewInterval = timings.LeaseRenewInterval;
        EngineOptions.ReclaimWait = timings.ReclaimWait;
        CentralLedgerOptions.ReclaimWindow = timings.ReclaimWindow;
    }
}
