using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Events;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger.Embedded;

namespace QuotaSidecar.Core.Tests.Events;

public sealed class EmbeddedDeliveryQueueTests
{
    [Fact]
    public async Task The_failed_list_keeps_the_newest_MaxFailedKept_like_the_Redis_store()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var ledger = new EmbeddedLedger(time: time);
        var queue = new EmbeddedDeliveryQueue(ledger.Events, time);
        var accounts = IEventDeliveryQueue.MaxFailedKept + 1;
        for (var i = 0; i < accounts; i++)
        {
            // Created low, then a purchase above the threshold: one balance.recovered each.
            await ledger.UpsertAccountAsync(new AccountPolicy($"a{i}", LowBalanceThreshold: 10));
            await ledger.GrantAsync(new GrantSpec($"a{i}", "g", 100));
        }

        var failed = 0;
        while (failed < accounts)
        {
            var taken = await queue.TakeAsync("c", 1000, TimeSpan.FromMinutes(2));
            Assert.NotEmpty(taken);
            foreach (var delivery in taken)
            {
                await queue.AttemptAsync(delivery, "c");
                await queue.FailedAsync(delivery, 8, "HTTP 503");
                failed++;
            }
        }

        var list = await queue.ListFailedAsync(int.MaxValue);
        Assert.Equal(IEventDeliveryQueue.MaxFailedKept, list.Count);
        Assert.Equal("a10000", list[0].Event.AccountId); // newest first
        Assert.DoesNotContain(list, f => f.Event.AccountId == "a0"); // the oldest went
    }
}
