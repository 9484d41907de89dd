using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Tests.Engine;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Tests.Usage;

/// <summary>Usage labels through the engine (docs/design.md#usage-labels): a Commit's or Consume's usage is attributed
/// to its label set, aggregated per account between exchanges, carried by the exchange and applied once.</summary>
public sealed class LabelledUsageEngineTests : IAsyncLifetime
{
    private const string Large = "model=large";
    private const string Small = "model=small";
    private readonly RecordingSink _sink = new();
    private EngineHarness _h = null!;

    public Task InitializeAsync()
    {
        _h = new EngineHarness(usageSink: _sink);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Commit_uses_the_reserves_labels_unless_it_gives_its_own_and_unlabelled_usage_stays_unlabelled()
    {
        var account = await _h.AccountAsync(10_000);
        var first = await _h.Engine.ReserveAsync(account, 10);
        _h.Engine.LabelHold(first.ReservationId, Large);
        var second = await _h.Engine.ReserveAsync(account, 10);
        _h.Engine.LabelHold(second.ReservationId, Large);

        _h.Engine.Commit(first.ReservationId, 7);
        _h.Engine.Commit(second.ReservationId, 9, Small);
        await _h.Engine.ConsumeAsync(account, 4, null, Small);
        await _h.Engine.ConsumeAsync(account, 100);
        await _h.Engine.SettleOnceAsync();

        Assert.Equal([new LabelUsage(Large, 7), new LabelUsage(Small, 13)], await _h.Central.GetUsageAsync(account));
        Assert.Equal(120, (await _h.CentralBalanceAsync(account)).Consumed);
        Assert.Equal(120, _sink.Applied.Sum(e => e.Used));
        Assert.Equal(20, _sink.Applied.Sum(e => e.LabelUsage?.Sum(u => u.Amount) ?? 0));
    }

    [Fact]
    public async Task An_exchange_whose_answer_was_lost_is_resent_and_its_label_usage_counted_once()
    {
        var account = await _h.AccountAsync(10_000);
        await _h.Engine.ConsumeAsync(account, 5, null, Large);
        _h.Store.LoseResponses = true; // the store applies the exchange, the answer never arrives
        await _h.Engine.SettleOnceAsync();
        _h.Store.LoseResponses = false;
        await _h.Engine.ConsumeAsync(account, 3, null, Large); // after the exchange was composed: the next one carries it

        _h.Time.Advance(TimeSpan.FromSeconds(5)); // past the breaker's pause
        await _h.Engine.SettleOnceAsync();
        await _h.Engine.SettleOnceAsync();

        Assert.Equal([new LabelUsage(Large, 8)], await _h.Central.GetUsageAsync(account));
        var labelled = _sink.Applied.Where(e => e.LabelUsage is not null).ToList();
        Assert.Equal([5L, 3L], labelled.Select(e => e.LabelUsage!.Single().Amount).ToArray());
        Assert.Equal(2, labelled.Select(e => e.Sequence).Distinct().Count());
    }

    [Fact]
    public async Task Label_sets_beyond_the_per_exchange_bound_go_to_the_overflow_set()
    {
        await using var h = new EngineHarness(o => o.MaxLabelSets = 2);
        var account = await h.AccountAsync(10_000);

        await h.Engine.ConsumeAsync(account, 1, null, "k=1");
        await h.Engine.ConsumeAsync(account, 2, null, "k=2");
        await h.Engine.ConsumeAsync(account, 3, null, "k=3");
        await h.Engine.ConsumeAsync(account, 4, null, "k=1");
        await h.Engine.ConsumeAsync(account, 5, null, "k=4");
        await h.Engine.SettleOnceAsync();

        Assert.Equal(
            [new LabelUsage(UsageLabels.Overflow, 8), new LabelUsage("k=1", 5), new LabelUsage("k=2", 2)],
            await h.Central.GetUsageAsync(account));
    }

    private sealed class RecordingSink : IUsageSink
    {
        public List<LeaseExchange> Applied { get; } = [];

        void IUsageSink.Applied(LeaseExchange exchange, LeaseExchangeResult result)
        {
            lock (Applied)
            {
                Applied.Add(exchange);
            }
        }
    }
}
