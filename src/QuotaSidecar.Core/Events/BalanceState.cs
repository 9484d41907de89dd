namespace QuotaSidecar.Core.Events;

/// <summary>
/// Which side of each line an account's customer balance was on after its last change (docs/design.md#balance-events).
/// Kept with the account; a change that flips one of them is a crossing and makes exactly one event.
/// </summary>
/// <param name="Low">The balance is at or below the low-balance threshold.</param>
/// <param name="Depleted">A HARD account's balance is at or below zero.</param>
public readonly record struct BalanceState(bool Low, bool Depleted)
{
    /// <summary>The state of a customer balance <paramref name="balance"/> for an account with that threshold and mode.</summary>
    public static BalanceState Of(long balance, long lowBalanceThreshold, bool hard) =>
        new(balance <= lowBalanceThreshold, hard && balance <= 0);

    /// <summary>
    /// The events of going from <paramref name="before"/> to <paramref name="after"/>, in the order they are
    /// written: low, then depleted (falling), or recovered (rising above the threshold). Leaving depleted without
    /// rising above the threshold makes no event: the account is still low.
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

        return n;
    }
}
