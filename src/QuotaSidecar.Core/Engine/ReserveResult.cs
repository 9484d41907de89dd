using QuotaSidecar.Core.Holds;

namespace QuotaSidecar.Core.Engine;

/// <summary>The answer to a Reserve.</summary>
/// <param name="ReservationId">The hold's id (client-chosen, or made by the sidecar); empty when denied without one.</param>
/// <param name="Amount">Credits held (0 when denied).</param>
/// <param name="ExpiresAt">When the hold counts as released if neither committed nor released.</param>
/// <param name="BalanceHint">This sidecar's estimate of what is still spendable.</param>
/// <param name="LowBalance">The balance is at or below the account's low-balance threshold.</param>
/// <param name="Overage">Some of the hold came from the account's overage allowance.</param>
/// <param name="DeniedAccountId">Denied: the account of the path that refused (the request's own, or an ancestor).</param>
public readonly record struct ReserveResult(
    Decision Decision,
    DenyReason DenyReason,
    string ReservationId,
    long Amount,
    DateTimeOffset ExpiresAt,
    long BalanceHint,
    bool LowBalance,
    bool Overage,
    string DeniedAccountId = "")
{
    /// <summary>A denial: nothing held.</summary>
    public static ReserveResult Denied(DenyReason reason, string reservationId, long balanceHint, bool lowBalance, string deniedAccountId) =>
        new(Decision.Denied, reason, reservationId, 0, default, balanceHint, lowBalance, false, deniedAccountId);

    /// <summary>The answer for a hold that was granted (the first time and on every retry).</summary>
    internal static ReserveResult Granted(Hold hold) => new(
        Decision.Granted, DenyReason.None, hold.Id, hold.Requested,
        new DateTimeOffset(hold.ExpiresTicks, TimeSpan.Zero), hold.BalanceHint, hold.LowBalance, hold.OverageCredits > 0);
}
