using QuotaSidecar.Core.Leases;

namespace QuotaSidecar.Core.Engine;

/// <summary>What a request the lease cannot cover does next (see <see cref="ShortfallPolicy"/>).</summary>
internal readonly record struct ShortfallStep(ShortfallAction Action, ExchangeIntent Intent)
{
    /// <summary>Nothing more to try: deny with INSUFFICIENT_CREDITS.</summary>
    public static ShortfallStep Deny { get; } = new(ShortfallAction.Deny, default);

    /// <summary>Exchange with the store now, for <paramref name="intent"/>.</summary>
    public static ShortfallStep Exchange(ExchangeIntent intent) => new(ShortfallAction.Exchange, intent);

    /// <summary>Give other sidecars the reclaim wait to return credits, then exchange for <paramref name="need"/>.</summary>
    public static ShortfallStep WaitForReclaim(long need) => new(ShortfallAction.WaitForReclaim, new ExchangeIntent(Need: need));
}
