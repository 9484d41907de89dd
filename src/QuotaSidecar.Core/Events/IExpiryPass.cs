namespace QuotaSidecar.Core.Events;

/// <summary>
/// The periodic pass over every account of a store that decides <c>grant.expiring</c> for accounts nobody touches
/// (docs/design.md#grant-expiring): one bounded step at a time, run by one sidecar of a fleet at a time.
/// </summary>
public interface IExpiryPass
{
    /// <summary>Full passes over the store's accounts this instance finished.</summary>
    long Passes { get; }

    /// <summary>
    /// One step: when <paramref name="instanceId"/> runs the pass (or takes it over), touches the next accounts with
    /// <paramref name="lead"/> (<see cref="IGrantExpiryWarnings.TouchAsync"/>). Returns the accounts touched, or -1 when
    /// another instance runs the pass. Throws <see cref="QuotaException"/> when the store cannot be reached.
    /// </summary>
    Task<int> StepAsync(string instanceId, TimeSpan lead, CancellationToken cancellationToken = default);
}
