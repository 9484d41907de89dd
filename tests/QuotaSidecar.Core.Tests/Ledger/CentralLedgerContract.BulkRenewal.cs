using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Tests.Ledger;

/// <summary>A run of missed periods in the steady state is one step (docs/design.md#renewal-run): the balances are
/// those of one period at a time, only the entries are fewer, and an idle grant's next call does bounded work.</summary>
public abstract partial class CentralLedgerContract
{
    // Anchored on the 31st: most months clamp the day, so the boundaries are of different lengths.
    private static readonly DateTimeOffset MonthEndAnchor = new(2026, 1, 31, 10, 0, 17, 250, TimeSpan.Zero);

    /// <summary>
    /// Two accounts set up alike at the same times: one is read after every boundary (one period per call), the other
    /// once at the end (a jump over all of them). They must end with the same balances, grant state and totals per
    /// entry kind, and the jump must have written few entries whatever the number of periods (it applied each run of
    /// debt, climb and steady periods as one step, the transitions between them one by one).
    /// </summary>
    /// <param name="capFit">How many renewals fit under the account total cap (-1: no cap in sight).</param>
    /// <param name="expiresAfter">The grant expires a second after this boundary (0: never).</param>
    [Theory]
    [InlineData(RecurrencePeriod.Minute, 200, 0, 0, 0, 40, -1, 0)] // a rate cap: steady from the start
    [InlineData(RecurrencePeriod.Minute, 100, 250, 0, 30, 40, -1, 0)] // a lease out at the first boundary, then the climb
    [InlineData(RecurrencePeriod.Hourly, 100, 50, 370, 0, 30, -1, 0)] // debt paid over 4 periods, then the climb
    [InlineData(RecurrencePeriod.Daily, 7, 1_000, 45, 0, 400, -1, 0)] // a long climb, 7 a period up to 1,007
    [InlineData(RecurrencePeriod.Monthly, 100, 100, 250, 0, 26, -1, 0)] // calendar months, with debt
    [InlineData(RecurrencePeriod.Monthly, 100, 0, 0, 40, 26, -1, 0)] // calendar months, a lease out
    [InlineData(RecurrencePeriod.Weekly, 50, 20, 0, 0, 30, 12, 0)] // the total cap stops renewals after 12: a run, then none
    [InlineData(RecurrencePeriod.Daily, 100, 0, 0, 0, 20, 3, 0)] // the cap cuts the run short: 1 period, then a run of 2
    [InlineData(RecurrencePeriod.Minute, 200, 100, 0, 0, 60, -1, 25)] // no renewal after the grant's expiry
    [InlineData(RecurrencePeriod.Minute, 7, 0, 100_000, 0, 43_200, -1, 0)] // large debt, idle 30 days: a debt run, then steady
    [InlineData(RecurrencePeriod.Minute, 1, 1_000_000, 0, 0, 43_200, -1, 0)] // idle 30 days, all of it a climb
    [InlineData(RecurrencePeriod.Hourly, 3, 100, 0, 0, 200, -1, 0)] // a climb of 33, one transition, then steady
    [InlineData(RecurrencePeriod.Hourly, 7, 200, 1_000, 0, 400, -1, 0)] // debt run, transition, climb, transition, steady
    [InlineData(RecurrencePeriod.Minute, 7, 0, 1_000, 0, 100, 40, 0)] // the total cap cuts a debt run
    [InlineData(RecurrencePeriod.Minute, 1, 1_000_000, 0, 0, 100, 40, 0)] // the total cap cuts a climb run
    [InlineData(RecurrencePeriod.Minute, 7, 100, 1_000, 0, 400, -1, 50)] // the grant's expiry cuts a debt run
    public async Task A_jump_over_many_periods_ends_where_one_period_at_a_time_does(
        RecurrencePeriod period, long amount, long rollover, long debt, long leased, int periods, int capFit, int expiresAfter)
    {
        var anchor = period == RecurrencePeriod.Monthly ? MonthEndAnchor : Start.AddSeconds(17.25);
        var recurrence = new Recurrence(period, rollover);
        DateTimeOffset? expiresAt = expiresAfter > 0 ? recurrence.BoundaryAt(anchor, expiresAfter).AddSeconds(1) : null;
        var stepped = await NewAccountAsync();
        var jumped = await NewAccountAsync();
        foreach (var id in new[] { stepped, jumped })
        {
            if (capFit >= 0)
            {
                // Counts in granted but has expired by the time debt is made, so the debt stays.
                var room = (amount * (1 + capFit)) + (amount / 2);
                await Ledger.GrantAsync(new GrantSpec(id, "big", Validation.MaxAccountTotal - room, ExpiresAt: Start.AddSeconds(5)));
            }
        }

        SetTime(Start.AddSeconds(6));
        foreach (var id in new[] { stepped, jumped })
        {
            if (debt > 0)
            {
                await Ledger.ExchangeAsync(new LeaseExchange(id, "u", 1, Used: debt)); // no credits: all of it is debt
            }

            await Ledger.GrantAsync(new GrantSpec(id, "r", amount, EffectiveAt: anchor, ExpiresAt: expiresAt, Recurrence: recurrence));
        }

        SetTime(anchor.AddMilliseconds(1));
        if (leased > 0)
        {
            foreach (var id in new[] { stepped, jumped })
            {
                Assert.Equal(leased, (await Ledger.ExchangeAsync(new LeaseExchange(id, "i1", 1, Want: leased, MinAcceptable: leased))).Granted);
            }
        }

        // Both see the first boundary with the lease still out (it is reclaimed, as an ended period's, at the next call).
        SetTime(recurrence.BoundaryAt(anchor, 1).AddMilliseconds(1));
        await Ledger.GetAccountAsync(stepped);
        await Ledger.GetAccountAsync(jumped);
        var beforeJump = (await AllEntries(jumped)).Count;
        var expectedTotals = new Dictionary<LedgerEntryKind, long>();
        var (cursor, expectedCount) = await Tally(stepped, null, expectedTotals);
        for (var i = 2; i <= periods; i++)
        {
            SetTime(recurrence.BoundaryAt(anchor, i).AddMilliseconds(1));
            await Ledger.GetAccountAsync(stepped);
            if (i % 1_000 == 0)
            {
                // Read as it goes: 30 days of minutes write more entries than the ledger keeps (MaxLedgerEntries).
                (cursor, var count) = await Tally(stepped, cursor, expectedTotals);
                expectedCount += count;
            }
        }

        var (_, rest) = await Tally(stepped, cursor, expectedTotals);
        expectedCount += rest;

        var expected = await Ledger.GetAccountAsync(stepped);
        var actual = await Ledger.GetAccountAsync(jumped);

        Assert.True(actual!.Balance.IsConserved, $"conservation broken: {actual.Balance}");
        Assert.Equal(expected!.Balance, actual.Balance);
        var expectedGrant = (await Ledger.ListGrantsAsync(stepped, includeInactive: true)).Single(g => g.GrantId == "r");
        var actualGrant = (await Ledger.ListGrantsAsync(jumped, includeInactive: true)).Single(g => g.GrantId == "r");
        Assert.Equal((expectedGrant.Remaining, expectedGrant.PeriodIndex), (actualGrant.Remaining, actualGrant.PeriodIndex));
        var actualEntries = await AllEntries(jumped);
        Assert.Equal(expectedTotals, TotalsPerKind(actualEntries));
        Assert.True(
            actualEntries.Count < expectedCount,
            $"the jump wrote {actualEntries.Count} entries, one period at a time {expectedCount}: no run was one step");
        var written = actualEntries.Count - beforeJump;
        Assert.True(written <= 10, $"the jump over {periods - 1} periods wrote {written} entries: a run was applied period by period");
        if (capFit >= 0)
        {
            Assert.Equal(capFit, actualGrant.PeriodIndex); // the cap held the rest back
        }
    }

    [Theory]
    [InlineData(0, 0, 2)] // steady from the first period: one step
    [InlineData(300, 2, 5)] // two periods climb to 500 = amount + rollover_max (Renewed; Expired 100, Renewed), then one step
    public async Task A_minute_grant_idle_for_30_days_is_renewed_in_a_bounded_number_of_entries(long rollover, int climb, int entries)
    {
        var id = await NewAccountAsync();
        await Ledger.GrantAsync(new GrantSpec(id, "cap", 200, EffectiveAt: Anchor, Recurrence: new Recurrence(RecurrencePeriod.Minute, rollover)));
        SetTime(Anchor.AddMilliseconds(1));
        var before = (await AllEntries(id)).Count;

        Time.Advance(TimeSpan.FromDays(30)); // 43,200 boundaries
        var view = await Ledger.GetAccountAsync(id);

        const long Periods = 30 * 24 * 60;
        var written = (await AllEntries(id)).Skip(before).ToList();
        Assert.Equal(entries, written.Count);
        var run = (Periods - climb) * 200;
        Assert.Equal((LedgerEntryKind.Expired, run), (written[^2].Kind, written[^2].Amount));
        Assert.Equal((LedgerEntryKind.Renewed, run), (written[^1].Kind, written[^1].Amount));
        Assert.Equal(200 * (Periods + 1), view!.Balance.Granted);
        Assert.Equal(200 + rollover, view.Balance.Available);
        Assert.Equal(Periods, Assert.Single(await Ledger.ListGrantsAsync(id, includeInactive: false)).PeriodIndex);
    }

    /// <summary>Adds the entries after <paramref name="after"/> to <paramref name="totals"/>; the new cursor and how
    /// many there were.</summary>
    private async Task<(string? Cursor, int Count)> Tally(string accountId, string? after, Dictionary<LedgerEntryKind, long> totals)
    {
        var count = 0;
        while (true)
        {
            var page = await Ledger.ListEntriesAsync(accountId, after, 100);
            foreach (var e in page.Entries)
            {
                totals[e.Kind] = totals.GetValueOrDefault(e.Kind) + e.Amount;
                after = e.EntryId;
                count++;
            }

            if (string.IsNullOrEmpty(page.Next))
            {
                return (after, count);
            }
        }
    }

    private static Dictionary<LedgerEntryKind, long> TotalsPerKind(List<LedgerEntry> entries)
    {
        var totals = new Dictionary<LedgerEntryKind, long>();
        foreach (var e in entries)
        {
            totals[e.Kind] = totals.GetValueOrDefault(e.Kind) + e.Amount;
        }

        return totals;
    }

    private void SetTime(DateTimeOffset at) => Time.Advance(at - Time.GetUtcNow());
}
