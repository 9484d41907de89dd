namespace QuotaSidecar.Core.Ledger;

/// <summary>
/// The central view of one account. Conservation: <c>Granted = Available + Leased + Consumed + Expired + Voided</c>,
/// every term &gt;= 0. <see cref="Overage"/> is debt outside that sum.
/// </summary>
/// <param name="Available">In active grants and not leased out.</param>
/// <param name="Leased">Out with sidecars (held or spendable there), not yet reported as used.</param>
/// <param name="Consumed">Reported usage covered by grants (including debt paid off by later grants).</param>
/// <param name="Expired">Credits that reached their grant's expiry (or a recurring period's end) unused.</param>
/// <param name="Voided">Unused credits withdrawn by a void.</param>
/// <param name="Overage">Usage no grant covered: debt, paid off first by the next grant.</param>
/// <param name="Granted">Total of every grant (and renewal) that has taken effect.</param>
/// <param name="OverageLeased">Overage allowance out with sidecars (SOFT mode), not yet used or returned.</param>
public sealed record Balance(
    long Available,
    long Leased,
    long Consumed,
    long Expired,
    long Voided,
    long Overage,
    long Granted,
    long OverageLeased = 0)
{
    /// <summary>True when the conservation law holds.</summary>
    public bool IsConserved =>
        Available >= 0 && Leased >= 0 && Consumed >= 0 && Expired >= 0 && Voided >= 0 && Overage >= 0
        && OverageLeased >= 0 && Granted == Available + Leased + Consumed + Expired + Voided;
}
