using QuotaSidecar.Core.Grants;

namespace QuotaSidecar.Redis;

/// <summary>A grant as a script returned it, with what the idempotency check needs beyond <see cref="Grant"/>.</summary>
/// <param name="EffectiveAtWasGiven">Whether the spec named an effective time (else it was "now" when created).</param>
internal sealed record StoredGrant(Grant Grant, bool EffectiveAtWasGiven)
{
    /// <summary>The spec that created the grant, for <see cref="GrantSpec.SameGrantAs"/>.</summary>
    public GrantSpec ToSpec() => new(
        Grant.AccountId, Grant.GrantId, Grant.Amount, Grant.Priority, Grant.Category,
        EffectiveAtWasGiven ? Grant.EffectiveAt : null, Grant.ExpiresAt, Grant.Recurrence, Grant.Metadata);
}
