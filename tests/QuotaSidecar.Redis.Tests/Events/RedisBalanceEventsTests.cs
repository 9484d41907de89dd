using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Events;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Tests.Events;
using QuotaSidecar.Redis.Events;

namespace QuotaSidecar.Redis.Tests.Events;

/// <summary>The balance events contract, unchanged, against a standalone Redis (outbox, relay, global stream).</summary>
public sealed class RedisBalanceEventsTests(RedisFixture redis) : BalanceEventsContract, IClassFixture<RedisFixture>
{
    private RedisEventLog _log = null!;

    protected override (ICentralLedger Ledger, IEventLog Events, IRechargePolicies Recharges) Create(FakeTimeProvider time, CentralLedgerOptions options, EventOptions events)
    {
        var ledger = new RedisLedger(redis.Connection, new RedisLedgerOptions { KeyPrefix = redis.KeyPrefix, Central = options }, time);
        _log = ledger.CreateEventLog(events);
        return (ledger, _log, ledger.CreateRechargePolicies());
    }

    protected override Task RelayAsync(string accountId) => _log.RelayAsync(accountId);
}
