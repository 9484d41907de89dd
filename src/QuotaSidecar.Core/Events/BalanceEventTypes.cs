namespace QuotaSidecar.Core.Events;

/// <summary>The wire names of <see cref="BalanceEventType"/> (webhook bodies, the Redis streams, the CLI).</summary>
public static class BalanceEventTypes
{
    /// <summary>The name of <paramref name="type"/>, e.g. <c>balance.low</c>.</summary>
    public static string Name(BalanceEventType type) => type switch
    {
        BalanceEventType.BalanceLow => "balance.low",
        BalanceEventType.BalanceRecovered => "balance.recovered",
        BalanceEventType.BalanceDepleted => "balance.depleted",
        BalanceEventType.RechargeRequested => "recharge.requested",
        BalanceEventType.OverageStarted => "overage.started",
        BalanceEventType.OverageLimitReached => "overage.limit_reached",
        BalanceEventType.GrantExpired => "grant.expired",
        BalanceEventType.GrantExpiring => "grant.expiring",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown event type"),
    };

    /// <summary>The type named <paramref name="name"/>; false for a name this version does not know.</summary>
    public static bool TryParse(string name, out BalanceEventType type)
    {
        type = name switch
        {
            "balance.low" => BalanceEventType.BalanceLow,
            "balance.recovered" => BalanceEventType.BalanceRecovered,
            "balance.depleted" => BalanceEventType.BalanceDepleted,
            "recharge.requested" => BalanceEventType.RechargeRequested,
            "overage.started" => BalanceEventType.OverageStarted,
            "overage.limit_reached" => BalanceEventType.OverageLimitReached,
            "grant.expired" => BalanceEventType.GrantExpired,
            "grant.expiring" => BalanceEventType.GrantExpiring,
            _ => 0,
        };
        return type != 0;
    }
}
