using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Tests.Ledger;

namespace QuotaSidecar.Redis.Tests;

/// <summary>The central ledger contract, unchanged, against a standalone Redis.</summary>
public sealed class RedisLedgerContractTests(RedisFixture redis) : CentralLedgerContract, IClassFixture<RedisFixture>
{
    protected override ICentralLedger CreateLedger(FakeTimeProvider time, CentralLedgerOptions options) =>
        new RedisLedger(redis.Connection, new RedisLedgerOptions { KeyPrefix = redis.KeyPrefix, Central = options }, time);

    protected override ValueTask<long> StoredSizeAsync(string accountId) =>
        AccountFootprint.SizeAsync(redis.Connection, redis.KeyPrefix, accountId);
}
