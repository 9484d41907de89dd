namespace QuotaSidecar.Core.Events;

/// <summary>
/// One crossing of an account's balance (docs/design.md#balance-events), decided in the same atomic step as the
/// change that caused it.
/// </summary>
/// <param name="Id">Stable: <c>&lt;account&gt;:&lt;n&gt;</c>, n the account's event number (1, 2, ...). The same
/// event always has the same id, however often it is relayed or delivered.</param>
/// <param name="Type">What happened.</param>
/// <param name="AccountId">The account.</param>
/// <param name="Balance">The customer balance after the change: granted − consumed − expired − voided.</param>
/// <param name="Threshold">The line crossed: the account's low-balance threshold at the time (its recharge threshold
/// for <see cref="BalanceEventType.RechargeRequested"/>, its overage limit for the overage events).</param>
/// <param name="At">When the change was applied (the ledger caller's clock).</param>
/// <param name="Cursor">Its position in the global event stream (<c>&lt;ms&gt;-&lt;n&gt;</c>); resume a watch or a
/// listing after it.</param>
/// <param name="RechargeId">For <see cref="BalanceEventType.RechargeRequested"/>: the grant id the billing system
/// must use (<c>recharge-&lt;n&gt;</c>); empty otherwise.</param>
/// <param name="Amount">For <see cref="BalanceEventType.RechargeRequested"/>: the credits that bring the balance to
/// the policy's target; for the overage events: the debt; for <see cref="BalanceEventType.GrantExpired"/>: the
/// credits that went unused; for <see cref="BalanceEventType.GrantExpiring"/>: the grant's credits left centrally; 0 otherwise.</param>
/// <param name="GrantId">For <see cref="BalanceEventType.GrantExpired"/> and <see cref="BalanceEventType.GrantExpiring"/>:
/// the grant; empty otherwise.</param>
public sealed record BalanceEvent(
    string Id,
    BalanceEventType Type,
    string AccountId,
    long Balance,
    long Threshold,
    DateTimeOffset At,
    string Cursor,
    string RechargeId = "",
    long Amount = 0,
    string GrantId = "");
