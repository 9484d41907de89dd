using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Tests.Infrastructure;

/// <summary>The real ledger behind added latency on every exchange: a slow store, as a fault to inject.</summary>
internal sealed class SlowLedger(ICentralLedger inner, TimeSpan delay) : ICentralLedger
{
    public async ValueTask<LeaseExchangeResult> ExchangeAsync(LeaseExchange exchange, CancellationToken cancellationToken = default)
    {
        await Task.Delay(delay, cancellationToken);
        return await inner.ExchangeAsync(exchange, cancellationToken);
    }

    public ValueTask<AccountView> UpsertAccountAsync(AccountPolicy policy, CancellationToken cancellationToken = default) => inner.UpsertAccountAsync(policy, cancellationToken);

    public ValueTask<AccountView?> GetAccountAsync(string accountId, CancellationToken cancellationToken = default) => inner.GetAccountAsync(accountId, cancellationToken);

    public ValueTask<Grant> GrantAsync(GrantSpec spec, CancellationToken cancellationToken = default) => inner.GrantAsync(spec, cancellationToken);

    public ValueTask<Grant> VoidGrantAsync(string accountId, string grantId, CancellationToken cancellationToken = default) => inner.VoidGrantAsync(accountId, grantId, cancellationToken);

    public ValueTask<IReadOnlyList<Grant>> ListGrantsAsync(string accountId, bool includeInactive, CancellationToken cancellationToken = default) => inner.ListGrantsAsync(accountId, includeInactive, cancellationToken);

    public ValueTask<LedgerPage> ListEntriesAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default) => inner.ListEntriesAsync(accountId, after, limit, cancellationToken);

    public ValueTask<ChildPage> ListChildrenAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default) => inner.ListChildrenAsync(accountId, after, limit, cancellationToken);

    public ValueTask<IReadOnlyList<LabelUsage>?> GetUsageAsync(string accountId, CancellationToken cancellationToken = default) => inner.GetUsageAsync(accountId, cancellationToken);
}
