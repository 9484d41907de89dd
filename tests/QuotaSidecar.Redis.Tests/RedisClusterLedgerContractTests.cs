using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Tests.Ledger;

namespace QuotaSidecar.Redis.Tests;

/// <summary>The central ledger contract, unchanged, against a 3-master Redis Cluster: every test uses fresh account
/// ids, so the accounts (and so the scripts) spread over the slots of all three masters.</summary>
public sealed class RedisClusterLedgerContractTests(RedisClusterFixture cluster)
    : CentralLedgerContract, IClassFixture<RedisClusterFixture>
{
    protected override ICentralLedger CreateLedger(FakeTimeProvider time, CentralLedgerOptions options) =>
        new RedisLedger(cluster.Connection, new RedisLedgerOptions { KeyPrefix = cluster.KeyPrefix, Central = options }, time);

    protected override ValueTask<long> StoredSizeAsync(string accountId) =>
        AccountFootprint.SizeAsync(cluster.Connection, cluster.KeyPrefix, accountId);
}
