namespace QuotaSidecar.Client;

/// <summary>Where a <see cref="QuotaHold"/> is in its life.</summary>
public enum QuotaHoldState
{
    /// <summary>Granted and not settled yet: commit it or release it (disposing releases it).</summary>
    Open,

    /// <summary>The sidecar denied it; there is nothing to commit or release.</summary>
    Denied,

    /// <summary>Committed: the actual usage was charged.</summary>
    Committed,

    /// <summary>Released: everything went back.</summary>
    Released,

    /// <summary>Granted in shadow mode: the sidecar would have denied it (<see cref="QuotaHold.ShadowReason"/>) and holds
    /// nothing; committing or releasing it does nothing and charges nothing.</summary>
    Shadow,
}
