// The embedded ledger's auto-recharge policies (docs/design.md#auto-recharge): the class lives in Ledger/Embedded/,
// this part of it in the Events feature folder.
using QuotaSidecar.Core.Events;

namespace QuotaSidecar.Core.Ledger.Embedded;

/// <summary>Auto-recharge policies, kept with the account's event state and decided under the account's lock.</summary>
public sealed partial class EmbeddedLedger : IRechargePolicies
{
    /// <inheritdoc />
    public ValueTask<RechargeState> SetRechargePolicyAsync(RechargePolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        var book = Book(policy.AccountId);
        lock (book)
        {
            var now = _time.GetUtcNow();
            book.Advance(now);
            Events.SetRecharge(policy);
            DecideEvents(book, now);
            return ValueTask.FromResult(Events.Recharge(policy.AccountId));
        }
    }

    /// <inheritdoc />
    public ValueTask<RechargeState> GetRechargePolicyAsync(string accountId, CancellationToken cancellationToken = default)
    {
        var book = Book(accountId);
        lock (book)
        {
            return ValueTask.FromResult(Events.Recharge(accountId));
        }
    }
}
