using System.Collections.Concurrent;
using QuotaSidecar.Core.Holds;

namespace QuotaSidecar.Core.Leases;

/// <summary>The accounts this sidecar has local state for. Memory follows the active accounts: an account the store
/// does not know leaves nothing behind, and an idle one is evicted by the settle pass.</summary>
internal sealed class AccountTable(HoldTable holds, Journal.UsageJournal? journal = null, int maxLabelSets = 1_000)
{
    // The default string comparer is already ordinal, and measured 1.25-1.7x faster than an explicit one here.
    private readonly ConcurrentDictionary<string, LocalAccount> _accounts = new();

    // The accounts with something local (lease credits, holds, usage): the only ones a settle pass must visit.
    // An account joins at an exchange (never on the hot path: credits only arrive by exchange) and leaves when a
    // pass finds it empty, both under its gate.
    private readonly ConcurrentDictionary<string, LocalAccount> _active = new();

    public int Count => _accounts.Count;

    public bool TryGet(string accountId, out LocalAccount account) => _accounts.TryGetValue(accountId, out account!);

    /// <summary>The account's local state, made empty (not yet known to exist) if there is none.</summary>
    public LocalAccount GetOrAdd(string accountId, long nowTicks) =>
        _accounts.GetOrAdd(accountId, static (id, state) => new LocalAccount(id, state.nowTicks, state.holds, state.journal, state.maxLabelSets), (nowTicks, holds, journal, maxLabelSets));

    /// <summary>A snapshot-free walk over the accounts (concurrent changes may or may not be seen).</summary>
    public IEnumerable<LocalAccount> All
    {
        get
        {
            foreach (var (_, account) in _accounts)
            {
                yield return account;
            }
        }
    }

    /// <summary>The accounts that may have something local (a superset: empty ones leave at the next pass).</summary>
    public IEnumerable<LocalAccount> Active
    {
        get
        {
            foreach (var (_, account) in _active)
            {
                yield return account;
            }
        }
    }

    public int ActiveCount => _active.Count;

    /// <summary>Lists the account for the settle pass. Caller holds its gate.</summary>
    public void MarkActive(LocalAccount account)
    {
        if (!account.Listed)
        {
            account.Listed = true;
            _active[account.Id] = account;
        }
    }

    /// <summary>Takes an empty account off the settle pass's list. Caller holds its gate.</summary>
    public void MarkIdle(LocalAccount account)
    {
        if (account.Listed)
        {
            account.Listed = false;
            _active.TryRemove(new KeyValuePair<string, LocalAccount>(account.Id, account));
        }
    }

    /// <summary>Forgets an account the store does not know, unless something local still needs it.</summary>
    public void RemoveIfUnknown(LocalAccount account)
    {
        lock (account.Gate)
        {
            if (!account.IsUnknownAndEmpty)
            {
                return;
            }
        }

        Remove(account);
    }

    /// <summary>Removes exactly this account object (a newer one for the same id stays).</summary>
    public void Remove(LocalAccount account)
    {
        _accounts.TryRemove(new KeyValuePair<string, LocalAccount>(account.Id, account));
        _active.TryRemove(new KeyValuePair<string, LocalAccount>(account.Id, account));
    }

    /// <summary>Open holds over all accounts (each account counts its own: no shared counter on the hot path).</summary>
    public long OpenHolds()
    {
        long sum = 0;
        foreach (var (_, account) in _accounts)
        {
            sum += account.OpenHoldCount;
        }

        return sum;
    }

    /// <summary>Usage not yet acknowledged by the store over all accounts (lost if the process dies now).</summary>
    public long UsageAtRisk()
    {
        long sum = 0;
        foreach (var (_, account) in _accounts)
        {
            sum += account.UsageAtRisk;
        }

        return sum;
    }
}
