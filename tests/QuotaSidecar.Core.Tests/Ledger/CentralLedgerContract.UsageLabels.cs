using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Tests.Ledger;

/// <summary>Usage labels (docs/design.md#usage-labels): usage per label set, kept per account with a cap, applied with
/// the exchange and exactly once.</summary>
public abstract partial class CentralLedgerContract
{
    private const string Large = "model=large,region=eu";
    private const string Small = "model=small";

    [Fact]
    public async Task Labelled_usage_adds_up_per_label_set_and_the_unlabelled_rest_is_not_a_set()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: 500, MinAcceptable: 500));

        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 100) { LabelUsage = [new(Large, 60), new(Small, 30)] });
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i2", 1, Used: 15) { LabelUsage = [new(Large, 15)] });

        Assert.Equal([new LabelUsage(Large, 75), new LabelUsage(Small, 30)], await Ledger.GetUsageAsync(id));
        await AssertBalance(id, available: 485, leased: 400, consumed: 115, granted: 1_000);
    }

    [Fact]
    public async Task A_resent_exchange_adds_its_label_usage_once()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        var exchange = new LeaseExchange(id, "i1", 1, Used: 40, Want: 100, MinAcceptable: 1) { LabelUsage = [new(Small, 40)] };

        var first = await Ledger.ExchangeAsync(exchange);
        var resent = await Ledger.ExchangeAsync(exchange);
        var stale = await Ledger.ExchangeAsync(exchange with { Sequence = 1 });

        Assert.Equal(first.Granted, resent.Granted);
        Assert.Equal(first.UsedTotal, stale.UsedTotal);
        Assert.Equal([new LabelUsage(Small, 40)], await Ledger.GetUsageAsync(id));
        await AssertBalance(id, available: 860, leased: 100, consumed: 40, granted: 1_000);
    }

    [Fact]
    public async Task Past_the_cap_new_label_sets_go_to_the_overflow_set_and_known_ones_still_add_up()
    {
        var ledger = CreateLedger(Time, new CentralLedgerOptions { LeaseTtl = Options.LeaseTtl, MaxLeaseShare = 1.0, MaxLabelSets = 2 });
        var id = NewAccountId();
        await ledger.UpsertAccountAsync(new Accounts.AccountPolicy(id));
        await ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));

        var first = await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Used: 30) { LabelUsage = [new("a=1", 10), new("a=2", 20)] });
        var second = await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 2, Used: 7 + 5 + 4) { LabelUsage = [new("a=3", 7), new("a=1", 5), new("a=4", 4)] });
        var third = await ledger.ExchangeAsync(new LeaseExchange(id, "i1", 3, Used: 3) { LabelUsage = [new(UsageLabels.Overflow, 3)] });

        Assert.Equal(0, first.LabelOverflow);
        Assert.Equal(11, second.LabelOverflow);
        Assert.Equal(0, third.LabelOverflow); // the sidecar's own overflow is no news to the ledger
        Assert.Equal(
            [new LabelUsage("_overflow=true", 14), new LabelUsage("a=1", 15), new LabelUsage("a=2", 20)],
            await ledger.GetUsageAsync(id));
    }

    [Fact]
    public async Task Usage_of_an_account_without_labelled_usage_is_empty_and_of_an_unknown_one_null()
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));
        await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Used: 5));

        Assert.Empty((await Ledger.GetUsageAsync(id))!);
        Assert.Null(await Ledger.GetUsageAsync(NewAccountId()));
    }

    [Theory]
    [InlineData("model=large", 11, "label_usage")] // more than used
    [InlineData("mo del=large", 5, "label_usage label set")] // not canonical: a space in a key
    [InlineData("z=1,a=2", 5, "label_usage label set")] // not canonical: unsorted
    [InlineData("model=large", 0, "label_usage amount")]
    public async Task Invalid_label_usage_is_rejected_with_the_field_name_and_changes_nothing(string labelSet, long amount, string field)
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "g1", 1_000));

        var e = await Assert.ThrowsAsync<QuotaException>(async () =>
            await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Used: 10) { LabelUsage = [new(labelSet, amount)] }));

        Assert.Equal(QuotaError.InvalidArgument, e.Error);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        Assert.Empty((await Ledger.GetUsageAsync(id))!);
        await AssertBalance(id, available: 1_000, granted: 1_000);
    }
}
