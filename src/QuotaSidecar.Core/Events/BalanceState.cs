namespace QuotaSidecar.Core.Events;

/// <summary>
/// Which side of each line an account's customer balance was on after its last change (docs/design.md#balance-events).
/// Kept with the account; a change that flips one of them is a crossing and makes exactly one event.
/// </summary>
/// <param name="Low">The balance is at or below the low-balance threshold.</param>
/// <param name="Depleted">A HARD account's balance is at or below zero.</param>
/// <param name="InOverage">The account has debt (usage no credits covered).</param>
/// <param name="OverageLimitReached">A SOFT account's debt reached its overage limit (a positive one).</param>
public readonly record struct BalanceState(bool Low, bool Depleted, bool InOverage = false, bool OverageLimitReached = false)
{
    /// <summary>The most events one change can make (<see cref="Crossings"/>).</summary>
    public const int MaxCrossings = 5;

    /// <summary>The state of a customer balance <paramref name="balance"/> for an account with that threshold and mode.</summary>
    public static BalanceState Of(long balance, long lowBalanceThreshold, bool hard) =>
        new(balance <= lowBalanceThreshold, hard && balance <= 0);

    /// <summary>The state of an account: its customer balance, low-balance threshold, mode, debt and overage limit.</summary>
    public static BalanceState Of(long balance, long lowBalanceThreshold, bool hard, long debt, long overageLimit) =>
        new(balance <= lowBalanceThreshold, hard && balance <= 0, debt > 0, !hard && overageLimit > 0 && debt >= overageLimit);

    /// <summary>
    /// The events of going from <paramref name="before"/> to <paramref name="after"/>, in the order they are
    /// written: low, then depleted (falling), or recovered (rising above the threshold); then overage started, then
    /// its limit reached. Leaving depleted without rising above the threshold makes no event (the account is still
    /// low), nor does leaving overage (debt paid off) or going back below its limit.
    /// </summary>
    public static int Crossings(BalanceState before, BalanceState after, Span<BalanceEventType> events)
    {
        var n = 0;
        if (after.Low && !before.Low)
        {
            events[n++] = BalanceEventType.BalanceLow;
        }

        if (after.Depleted && !before.Depleted)
        {
            events[n++] = BalanceEventType.BalanceDepleted;
        }

        if (!after.Low && before.Low)
        {
            events[n++] = BalanceEventType.BalanceRecovered;
        }

        if (after.InOverage && !before.InOverage)
        {
            events[n++] = BalanceEventType.OverageStarted;
        }

        if (after.OverageLimitReached && !before.OverageLimitReached)
        {
            events[n++] = BalanceEventType.OverageLimitReached;
        }

        return n;
    }
}
