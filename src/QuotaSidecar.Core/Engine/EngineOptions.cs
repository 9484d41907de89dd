namespace QuotaSidecar.Core.Engine;

/// <summary>Settings of the engine: holds, lease sizing and settlement. Validated when the engine is built.</summary>
public sealed class EngineOptions
{
    /// <summary>This sidecar process's id; leases and usage reports are keyed by it.</summary>
    /// <value>The default value is the machine name plus a random suffix per process start (<see cref="NewInstanceId"/>).</value>
    public string InstanceId { get; set; } = NewInstanceId(Environment.MachineName);

    /// <summary>An instance id for one process start of the sidecar named <paramref name="name"/>: the name plus a
    /// random suffix, so a restarted sidecar never continues the exchange sequence of its previous life.</summary>
    public static string NewInstanceId(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Hold TTL when a Reserve names none.</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan DefaultHoldTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest TTL a Reserve may ask for.</summary>
    /// <value>The default value is 1 hour.</value>
    public TimeSpan MaxHoldTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a finished hold (committed, released, expired, denied) or a Consume's answer is remembered
    /// for retries, counted from when it finished. An open hold is kept whole while open, whatever its TTL.</summary>
    /// <value>The default value is 10 minutes.</value>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most idempotency records kept with client-chosen ids, of each kind (reservation ids, Consume
    /// request ids); past it the oldest finished ones are dropped before their window (counted and logged). Such a
    /// record keeps the client's key: about 190 bytes with a 20-character id, and garbage for the GC when it goes.</summary>
    /// <value>The default value is 100,000.</value>
    public int MaxIdempotencyRecords { get; set; } = 100_000;

    /// <summary>Finished holds with sidecar-made ids remembered at once: the slots of the hold ring (rounded up to a
    /// power of two), 32 bytes each, allocated as they are first used and then reused, so they cost no garbage.
    /// Past it the oldest are overwritten (counted and logged).</summary>
    /// <value>The default value is 524,288 (16 MiB): ten minutes at ~870 Reserves/s.</value>
    public int SidecarIdRecords { get; set; } = 524_288;

    /// <summary>How often usage is reported, leases renewed and idle credits returned.</summary>
    /// <value>The default value is 250 milliseconds.</value>
    public TimeSpan SettleInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A lease aims to cover this much time of the observed rate (EWMA).</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan RefillHorizon { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A lease aims to carry the account's observed rate for at least this long without the store
    /// (docs/design.md {#outage-horizon}): it is refilled before it holds less, so steady traffic rides out a store
    /// outage this long without a denial. Credits parked in leases grow with it (capped by MaxLease and, at the
    /// store, by the lease share); 0 sizes leases by <see cref="RefillHorizon"/> alone.</summary>
    /// <value>The default value is 20 seconds: a Redis Cluster failover with the default 15 s node timeout, plus
    /// detection and the first exchange after it.</value>
    public TimeSpan OutageHorizon { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The longest a Reserve or Consume waits for the store's answers (docs/design.md {#store-wait}); past
    /// it the request is answered from what is local (the lease, then the fail-open allowance, else DENIED with
    /// STORE_UNAVAILABLE) and the exchange goes on in the background.</summary>
    /// <value>The default value is 100 milliseconds.</value>
    public TimeSpan MaxStoreWait { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>An exchange (or probe) the store has not answered within this time counts as failed and opens the
    /// breaker (docs/design.md {#store-breaker}); it stays in flight and is resent unchanged later.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan ExchangeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The smallest lease target, in credits.</summary>
    /// <value>The default value is 100.</value>
    public long MinLease { get; set; } = 100;

    /// <summary>The largest lease target, in credits.</summary>
    /// <value>The default value is 1,000,000.</value>
    public long MaxLease { get; set; } = 1_000_000;

    /// <summary>Below this fraction of its target the lease is refilled in the background.</summary>
    /// <value>The default value is 0.5.</value>
    public double LowWatermark { get; set; } = 0.5;

    /// <summary>Unused credits of an account not used for this long are returned.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan IdleReturnAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A lease is renewed (heartbeat) at least this often even without usage. The sidecar derives it from
    /// the lease TTL (a third of it) rather than exposing it as a setting.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a Reserve that could not be filled waits for other sidecars to return credits before it
    /// is denied (only when the store says others hold unused credits). The sidecar derives it from the settle
    /// interval (two and a half of them) rather than exposing it as a setting.</summary>
    /// <value>The default value is 600 milliseconds.</value>
    public TimeSpan ReclaimWait { get; set; } = TimeSpan.FromMilliseconds(600);

    /// <summary>Fail-open: while the store is unreachable, credits per account that may be granted beyond the lease
    /// (their usage is reported when the store returns). 0 is fail-closed.</summary>
    /// <value>The default value is 0 (fail-closed).</value>
    public long FailOpenAllowance { get; set; }

    /// <summary>An account with nothing local (no lease credits, holds or unreported usage) and unused this long is
    /// forgotten, so memory follows the active accounts, not every account ever seen.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan EvictIdleAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many accounts settle concurrently in one pass (their store calls are pipelined).</summary>
    /// <value>The default value is 64.</value>
    public int SettleParallelism { get; set; } = 64;

    /// <summary>The most distinct usage label sets an account aggregates between two exchanges (docs/design.md#usage-labels);
    /// usage of further sets goes to the overflow set. The host sets it from <c>Quota:Usage:MaxLabelSets</c>, the
    /// ledger's per-account cap, since an exchange carrying more could not keep them apart anyway.</summary>
    /// <value>The default value is 1,000.</value>
    public int MaxLabelSets { get; set; } = 1_000;

    /// <summary>Throws <see cref="ArgumentException"/> saying which setting to fix.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(InstanceId) && InstanceId.Length <= 128, $"InstanceId must be 1-128 characters (got '{InstanceId}')");
        Require(DefaultHoldTtl >= TimeSpan.FromMilliseconds(1), $"DefaultHoldTtl must be at least 1 ms (got {DefaultHoldTtl})");
        Require(MaxHoldTtl >= DefaultHoldTtl, $"MaxHoldTtl ({MaxHoldTtl}) must be >= DefaultHoldTtl ({DefaultHoldTtl})");
        Require(IdempotencyWindow >= TimeSpan.FromSeconds(1), $"IdempotencyWindow must be at least 1 s (got {IdempotencyWindow})");
        Require(MaxIdempotencyRecords is >= 1_000 and <= 1 << 28, $"MaxIdempotencyRecords must be between 1,000 and 268,435,456 (got {MaxIdempotencyRecords})");
        Require(SidecarIdRecords is >= 4_096 and <= 1 << 28, $"SidecarIdRecords must be between 4,096 and 268,435,456 (got {SidecarIdRecords})");
        Require(MaxLabelSets is >= 1 and <= 1_000_000, $"MaxLabelSets must be between 1 and 1,000,000 (got {MaxLabelSets})");
        Require(SettleInterval >= TimeSpan.FromMilliseconds(10), $"SettleInterval must be at least 10 ms (got {SettleInterval})");
        Require(RefillHorizon > TimeSpan.Zero, $"RefillHorizon must be positive (got {RefillHorizon})");
        Require(MinLease >= 1, $"MinLease must be >= 1 (got {MinLease})");
        Require(MaxLease >= MinLease, $"MaxLease ({MaxLease}) must be >= MinLease ({MinLease})");
        Require(LowWatermark is > 0 and < 1, $"LowWatermark must be in (0, 1) (got {LowWatermark})");
        Require(IdleReturnAfter > TimeSpan.Zero, $"IdleReturnAfter must be positive (got {IdleReturnAfter})");
        Require(LeaseRenewInterval > TimeSpan.Zero, $"LeaseRenewInterval must be positive (got {LeaseRenewInterval})");
        Require(OutageHorizon >= TimeSpan.Zero && OutageHorizon <= TimeSpan.FromHours(1), $"OutageHorizon must be between 0 and 1 hour (got {OutageHorizon})");
        Require(ExchangeTimeout >= TimeSpan.FromMilliseconds(10) && ExchangeTimeout <= TimeSpan.FromMinutes(1), $"ExchangeTimeout must be between 10 ms and 1 minute (got {ExchangeTimeout})");
        Require(MaxStoreWait >= TimeSpan.FromMilliseconds(1) && MaxStoreWait <= ExchangeTimeout, $"MaxStoreWait must be between 1 ms and ExchangeTimeout ({ExchangeTimeout}) (got {MaxStoreWait}): a request should give up waiting before the exchange is declared failed");
        Require(ReclaimWait >= TimeSpan.Zero, $"ReclaimWait must be >= 0 (got {ReclaimWait})");
        Require(FailOpenAllowance is >= 0 and <= Validation.MaxAmount, $"FailOpenAllowance must be between 0 and {Validation.MaxAmount} (got {FailOpenAllowance})");
        Require(EvictIdleAfter > TimeSpan.Zero, $"EvictIdleAfter must be positive (got {EvictIdleAfter})");
        Require(SettleParallelism is >= 1 and <= 1024, $"SettleParallelism must be 1-1024 (got {SettleParallelism})");
    }

    private static void Require(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException(message);
        }
    }
}
