using QuotaSidecar.Core.Leases;

namespace QuotaSidecar.Core.Engine;

/// <summary>
/// The slow path's policy (docs/design.md §3 and §4): when the lease cannot cover a Reserve, what to try next, in
/// order — ask the store for the credits (again, up to three times in all, while central credits as last seen
/// cover the request: a void or expiry may have revoked what it counted on); if the store says others hold unused
/// credits, give them the reclaim wait to return them; a SOFT account asks for overage allowance; then deny.
/// One per request: it remembers what was tried.
/// </summary>
internal struct ShortfallPolicy(bool exchanged, TimeSpan reclaimWait)
{
    private const int MaxCreditExchanges = 3;
    private int _creditExchanges = exchanged ? 1 : 0;
    private bool _exchanged = exchanged;
    private bool _waitedForReclaim;
    private bool _askedOverage;

    /// <summary>The last exchange does not count as one of ours: it was one already running for another request
    /// (its intent, not ours), or the store gave what it asked for (or it asked for nothing: the lease covered the need
    /// when it was composed) and concurrent requests spent the credits first. Either way the store still had credits; the lease is tried again, and the request's wait budget bounds the loop.</summary>
    public void Refund()
    {
        if (_creditExchanges > 0)
        {
            _creditExchanges--;
        }
    }

    public ShortfallStep Next(LocalAccount account, long amount)
    {
        long balanceHint, free;
        bool reclaimFlagged, soft;
        lock (account.Gate)
        {
            balanceHint = account.BalanceHint;
            free = account.Free;
            reclaimFlagged = account.ReclaimFlagSeen;
            soft = account.IsSoft;
        }

        ShortfallStep step;
        if (!_exchanged || (_creditExchanges < MaxCreditExchanges && balanceHint >= amount))
        {
            _creditExchanges++;
            step = ShortfallStep.Exchange(new ExchangeIntent(Need: amount));
        }
        else if (!_waitedForReclaim && reclaimFlagged && reclaimWait > TimeSpan.Zero)
        {
            _waitedForReclaim = true;
            step = ShortfallStep.WaitForReclaim(amount);
        }
        else if (!_askedOverage && soft)
        {
            _askedOverage = true;
            step = ShortfallStep.Exchange(new ExchangeIntent(Need: amount, OverageNeed: amount - free));
        }
        else
        {
            return ShortfallStep.Deny;
        }

        _exchanged = true;
        return step;
    }
}
