using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Usage;

/// <summary>
/// Told about every exchange the store applied, once, after its answer (the usage export, docs/design.md#usage-export).
/// Called on the exchange's thread, outside any lock: it must only queue, never block or call the store.
/// </summary>
public interface IUsageSink
{
    /// <summary><paramref name="exchange"/> was applied (its first answer, <paramref name="result"/>): its
    /// <see cref="LeaseExchange.Used"/> is billed, <see cref="LeaseExchange.LabelUsage"/> of it per label set.</summary>
    void Applied(LeaseExchange exchange, LeaseExchangeResult result);
}
