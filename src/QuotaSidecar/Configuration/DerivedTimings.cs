using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Configuration;

/// <summary>
/// The timings the sidecar derives from the lease TTL (<c>Quota:Leases:Ttl</c>) and the settle interval
/// (<c>Quota:Settle:Interval</c>) instead of exposing them as settings: each only makes sense as a multiple of one of
/// those, so changing the interval or the TTL keeps them in proportion. The one place they are computed.
/// </summary>
/// <param name="leaseTtl">How long a lease lives without renewal.</param>
/// <param name="settleInterval">How often each sidecar exchanges with the store.</param>
internal sealed class DerivedTimings(TimeSpan leaseTtl, TimeSpan settleInterval)
{
    /// <summary>The heartbeat (<see cref="EngineOptions.LeaseRenewInterval"/>): a third of the lease TTL, so a lease
    /// survives two missed renewals in a row (a store blip, a retried exchange) before the store reclaims it.</summary>
    public TimeSpan LeaseRenewInterval => leaseTtl / 3;

    /// <summary>How long a Reserve waits for other sidecars to return credits before a denial
    /// (<see cref="EngineOptions.ReclaimWait"/>): two and a half settle intervals. A busy holder learns of the
    /// reclaim in its next exchange (within one interval) and returns its unused credits at once in another; the
    /// second interval and the half cover a settle pass that runs late and the exchanges' round trips. (A holder
    /// with nothing to report may not exchange before its heartbeat, so its credits can come back after the wait.)</summary>
    public TimeSpan ReclaimWait => settleInterval * 2.5;

    /// <summary>How long the store keeps an account's reclaim flag up after a take it could not fill
    /// (<see cref="CentralLedgerOptions.ReclaimWindow"/>): eight settle intervals, well past the requester's
    /// <see cref="ReclaimWait"/>, so holders whose exchanges come late (backoff after a failure) still see it.</summary>
    public TimeSpan ReclaimWindow => settleInterval * 8;
}
