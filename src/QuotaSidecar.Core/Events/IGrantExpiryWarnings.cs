namespace QuotaSidecar.Core.Events;

/// <summary>
/// Decides <c>grant.expiring</c> (docs/design.md#grant-expiring): implemented by both ledgers, called for every
/// account by the periodic expiry pass.
/// </summary>
public interface IGrantExpiryWarnings
{
    /// <summary>
    /// Applies what time has made due on the account (like a read), then emits one <c>grant.expiring</c> for each
    /// active grant with credits left centrally whose <c>expires_at</c> is within <paramref name="lead"/> and that was
    /// not warned of before, in the same atomic step. False when the account does not exist.
    /// </summary>
    ValueTask<bool> TouchAsync(string accountId, TimeSpan lead, CancellationToken cancellationToken = default);
}
