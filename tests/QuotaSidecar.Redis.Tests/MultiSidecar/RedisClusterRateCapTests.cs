using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Tests.Engine;
using Xunit.Abstractions;

namespace QuotaSidecar.Redis.Tests.MultiSidecar;

/// <summary>The minute rate cap across three engines over a 3-master Redis Cluster.</summary>
public sealed class RedisClusterRateCapTests(RedisClusterFixture cluster, ITestOutputHelper output) : RateCapContract(output), IClassFixture<RedisClusterFixture>
{
    protected override ICentralLedger CreateLedger(FakeTimeProvider time, CentralLedgerOptions options) =>
        new RedisLedger(cluster.Connection, new RedisLedgerOptions { KeyPrefix = cluster.KeyPrefix, Central = options }, time);
}
