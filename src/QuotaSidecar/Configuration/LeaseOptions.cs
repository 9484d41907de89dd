using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Configuration;

/// <summary>Lease sizing and lifetime (<c>Quota:Leases</c>): the engine sizes leases
/// (<see cref="EngineOptions"/>), the central ledger bounds and expires them (<see cref="CentralLedgerOptions"/>);
/// each setting is read and written where it belongs.</summary>
public sealed class LeaseOptions
{
    private readonly EngineOptions _engine;
    private readonly CentralLedgerOptions _ledger;

    internal LeaseOptions(EngineOptions engine, CentralLedgerOptions ledger)
    {
        _engine = engine;
        _ledger = ledger;
    }

    /// <summary>A lease not renewed within this time is reclaimed by the store (<see cref="CentralLedgerOptions.LeaseTtl"/>);
    /// the heartbeat is a third of it (<see cref="DerivedTimings"/>).</summary>
    /// <value>The central ledger's default: 30 s.</value>
    public TimeSpan Ttl
    {
        get => _ledger.LeaseTtl;
        set => _ledger.LeaseTtl = value;
    }

    /// <summary>A lease aims to cover this much time of the observed rate (<see cref="EngineOptions.RefillHorizon"/>).</summary>
    /// <value>The engine's default: 2 s.</value>
    public TimeSpan RefillHorizon
    {
        get => _engine.RefillHorizon;
        set => _engine.RefillHorizon = value;
    }

    /// <summary>A lease carries the account's observed rate for at least this long without the store, so steady
    /// traffic rides out an outage this long (<see cref="EngineOptions.OutageHorizon"/>); 0: leases sized by
    /// <see cref="RefillHorizon"/> alone.</summary>
    /// <value>The engine's default: 20 s.</value>
    public TimeSpan OutageHorizon
    {
        get => _engine.OutageHorizon;
        set => _engine.OutageHorizon = value;
    }

    /// <summary>Smallest lease target, in credits (<see cref="EngineOptions.MinLease"/>).</summary>
    /// <value>The engine's default: 100.</value>
    public long Min
    {
        get => _engine.MinLease;
        set => _engine.MinLease = value;
    }

    /// <summary>Largest lease target, in credits (<see cref="EngineOptions.MaxLease"/>).</summary>
    /// <value>The engine's default: 1,000,000.</value>
    public long Max
    {
        get => _engine.MaxLease;
        set => _engine.MaxLease = value;
    }

    /// <summary>Largest share of the central available credits one take may lease
    /// (<see cref="CentralLedgerOptions.MaxLeaseShare"/>).</summary>
    /// <value>The central ledger's default: 0.10.</value>
    public double MaxShare
    {
        get => _ledger.MaxLeaseShare;
        set => _ledger.MaxLeaseShare = value;
    }

    /// <summary>Unused credits of an account idle this long go back to the store (<see cref="EngineOptions.IdleReturnAfter"/>).</summary>
    /// <value>The engine's default: 10 s.</value>
    public TimeSpan IdleReturnAfter
    {
        get => _engine.IdleReturnAfter;
        set => _engine.IdleReturnAfter = value;
    }
}
