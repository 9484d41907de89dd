using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Tests.Engine;
using Xunit.Abstractions;

namespace QuotaSidecar.Redis.Tests.MultiSidecar;

/// <summary>The minute rate cap across three engines over one real Redis (the ledger client is stateless: one serves all).</summary>
public sealed class RedisRateCapTests(RedisFixture redis, ITestOutputHelper output) : RateCapContract(output), IClassFixture<RedisFixture>
{
    protected override ICentralLedger CreateLedger(FakeTimeProvider time, CentralLedgerOptions options) =>
        new RedisLedger(redis.Connection, new RedisLedgerOptions { KeyPrefix = redis.KeyPrefix, Central = options }, time);
}

