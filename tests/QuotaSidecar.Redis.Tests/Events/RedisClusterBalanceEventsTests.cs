using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Events;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Tests.Events;
using QuotaSidecar.Redis.Events;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Tests.Events;

/// <summary>The balance events contract against a 3-primary Redis Cluster: outboxes live in their accounts' slots
/// (all three primaries), the global stream in its own; each script touches one slot.</summary>
public sealed class RedisClusterBalanceEventsTests(RedisClusterFixture cluster) : BalanceEventsContract, IClassFixture<RedisClusterFixture>
{
    private RedisEventLog _log = null!;

    protected override (ICentralLedger Ledger, IEventLog Events, IRechargePolicies Recharges) Create(FakeTimeProvider time, CentralLedgerOptions options, EventOptions events)
    {
        var ledger = new RedisLedger(cluster.Connection, new RedisLedgerOptions { KeyPrefix = cluster.KeyPrefix, Central = options }, time);
        _log = ledger.CreateEventLog(events);
        return (ledger, _log, ledger.CreateRechargePolicies());
    }

    protected override Task RelayAsync(string accountId) => _log.RelayAsync(accountId);

    [Fact]
    public async Task Accounts_on_every_primary_cross_and_each_event_reaches_the_one_global_stream()
    {
        var ids = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            var id = await FundedAccountAsync(threshold: 100, credits: 1_000);
            await Spend(id, "i1", 2, 950);
            await RelayAsync(id);
            ids.Add(id);
        }

        var primaries = ids.Select(id => cluster.Connection.GetServer(EventKeys.Outbox(cluster.KeyPrefix, id)).EndPoint.ToString()).Distinct().Count();
        Assert.Equal(3, primaries);
        foreach (var id in ids)
        {
            Assert.Equal(BalanceEventType.BalanceLow, (await EventsOf(id))[^1].Type);
            Assert.Equal(0, await cluster.Connection.GetDatabase().StreamLengthAsync(EventKeys.Outbox(cluster.KeyPrefix, id)));
        }
    }
}
