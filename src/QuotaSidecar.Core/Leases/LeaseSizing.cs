using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Core.Leases;

/// <summary>How many credits a lease aims for (docs/design.md §4 and {#outage-horizon}): enough for the observed rate
/// over the outage horizon plus the refill horizon, within bounds; when to top it up (before it holds less than the
/// outage horizon's worth); and when to switch to precision mode. Callers hold the account's gate.</summary>
internal sealed class LeaseSizing(EngineOptions options)
{
    /// <summary>Precision mode starts when the visible pool is under this many lease targets.</summary>
    private const long PrecisionPools = 4;

    /// <summary>The lease size this account aims for: the observed rate over the outage and refill horizons, within
    /// bounds.</summary>
    public long Target(LocalAccount account) =>
        Bounded(account.Rate * (options.OutageHorizon + options.RefillHorizon).TotalSeconds);

    /// <summary>Below this many free credits the lease is refilled in the background: the target less part of the
    /// refill horizon's worth, so what is left always carries the outage horizon.</summary>
    public long LowWatermark(LocalAccount account)
    {
        var target = Target(account);
        return target - (long)((1 - options.LowWatermark) * Math.Min(target, RefillPart(account)));
    }

    /// <summary>Whether the lease has fallen under its low watermark.</summary>
    public bool BelowWatermark(LocalAccount account) => !account.IsTrack && account.Free < LowWatermark(account);

    /// <summary>
    /// Precision mode (docs/design.md §4): once the pool this sidecar can see (central available plus its own lease)
    /// is under a few lease targets, it keeps no idle credits and takes exactly what each request needs, so credits
    /// are not stranded on idle sidecars at the end of a balance. The targets include the outage horizon: near the end
    /// of a balance, a denial meaning "the credits are gone" matters more than riding out an outage.
    /// </summary>
    public bool Precise(LocalAccount account) =>
        account.Known && account.CentralAvailable + account.Free < PrecisionPools * Target(account);

    /// <summary>What the refill horizon alone asks for: the observed rate over it, within bounds.</summary>
    private long RefillPart(LocalAccount account) => Bounded(account.Rate * options.RefillHorizon.TotalSeconds);

    private long Bounded(double credits) =>
        credits >= options.MaxLease ? options.MaxLease : Math.Max(options.MinLease, (long)credits);
}
