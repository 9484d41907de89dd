using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Tests.Engine;

/// <summary>
/// A real ledger seen as a store of two failure domains, as a Redis Cluster of two primaries is: an account whose id
/// ends in an even character is on shard <c>s0</c>, odd on <c>s1</c>; each shard has its own switch
/// (<see cref="SwitchableLedger"/>), and <see cref="Lose"/> / <see cref="Restore"/> raise the client's connection
/// events for one shard.
/// </summary>
internal sealed class TwoShardLedger(ICentralLedger inner) : ICentralLedger, IStoreShards, IStoreConnectionEvents
{
    private readonly SwitchableLedger[] _shards = [new(inner), new(inner)];

    public event Action<string?, string>? ConnectionLost;

    public event Action<string?>? ConnectionRestored;

    /// <summary>Shard <c>s0</c> or <c>s1</c>'s switch.</summary>
    public SwitchableLedger this[string shard] => _shards[shard == "s0" ? 0 : 1];

    public string? ShardOf(string accountId) => accountId[^1] % 2 == 0 ? "s0" : "s1";

    public void RefreshShards()
    {
        // the shards never move here
    }

    public void Lose(string shard) => ConnectionLost?.Invoke(shard, $"connection to {shard} failed");

    public void Restore(string shard) => ConnectionRestored?.Invoke(shard);

    public ValueTask<LeaseExchangeResult> ExchangeAsync(LeaseExchange exchange, CancellationToken cancellationToken = default) =>
        On(exchange.AccountId).ExchangeAsync(exchange, cancellationToken);

    public ValueTask<AccountView> UpsertAccountAsync(AccountPolicy policy, CancellationToken cancellationToken = default) =>
        On(policy.AccountId).UpsertAccountAsync(policy, cancellationToken);

    public ValueTask<AccountView?> GetAccountAsync(string accountId, CancellationToken cancellationToken = default) =>
        On(accountId).GetAccountAsync(accountId, cancellationToken);

    public ValueTask<Grant> GrantAsync(GrantSpec spec, CancellationToken cancellationToken = default) =>
        On(spec.AccountId).GrantAsync(spec, cancellationToken);

    public ValueTask<Grant> VoidGrantAsync(string accountId, string grantId, CancellationToken cancellationToken = default) =>
        On(accountId).VoidGrantAsync(accountId, grantId, cancellationToken);

    public ValueTask<IReadOnlyList<Grant>> ListGrantsAsync(string accountId, bool includeInactive, CancellationToken cancellationToken = default) =>
        On(accountId).ListGrantsAsync(accountId, includeInactive, cancellationToken);

    public ValueTask<LedgerPage> ListEntriesAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default) =>
        On(accountId).ListEntriesAsync(accountId, after, limit, cancellationToken);

    public ValueTask<ChildPage> ListChildrenAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default) =>
        On(accountId).ListChildrenAsync(accountId, after, limit, cancellationToken);

    public ValueTask<IReadOnlyList<LabelUsage>?> GetUsageAsync(string accountId, CancellationToken cancellationToken = default) =>
        On(accountId).GetUsageAsync(accountId, cancellationToken);

    private SwitchableLedger On(string accountId) => this[ShardOf(accountId)!];
}
