using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Core.Leases;

/// <summary>How many credits a lease aims for (docs/design.md §4): the observed rate over the refill horizon, within
/// bounds; when to top it up; and when to switch to precision mode. Callers hold the account's gate.</summary>
internal sealed class LeaseSizing(EngineOptions options)
{
    /// <summary>Precision mode starts when the visible pool is under this many lease targets.</summary>
    private const long PrecisionPools = 4;

    /// <summary>The lease size this account aims for: the observed rate over the refill horizon, within bounds.</summary>
    public long Target(LocalAccount account)
    {
        var byRate = account.Rate * options.RefillHorizon.TotalSeconds;
        return byRate >= options.MaxLease ? options.MaxLease : Math.Max(options.MinLease, (long)byRate);
    }

    /// <summary>Below this many free credits the lease is refilled in the background.</summary>
    public long LowWatermark(LocalAccount account) => (long)(Target(account) * options.LowWatermark);

    /// <summary>Whether the lease has fallen under its low watermark.</summary>
    public bool BelowWatermark(LocalAccount account) => account.Free < LowWatermark(account);

    /// <summary>
    /// Precision mode (docs/design.md §4): once the pool this sidecar can see (central available plus its own lease)
    /// is under a few lease targets, it keeps no idle credits and takes exactly what each request needs, so credits
    /// are not stranded on idle sidecars at the end of a balance.
    /// </summary>
    public bool Precise(LocalAccount account) =>
        account.Known && account.CentralAvailable + account.Free < PrecisionPools * Target(account);
}
