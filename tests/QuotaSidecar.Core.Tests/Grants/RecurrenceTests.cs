using QuotaSidecar.Core.Grants;

namespace QuotaSidecar.Core.Tests.Grants;

/// <summary>Period boundaries and indexes (docs/design.md#recurrence): exact at the boundary, for anchors with seconds
/// and milliseconds, and for a period index far from the anchor.</summary>
public sealed class RecurrenceTests
{
    private static readonly DateTimeOffset Anchor = new(2026, 3, 7, 13, 4, 17, 250, TimeSpan.Zero);

    [Theory]
    [InlineData(RecurrencePeriod.Minute, 60)]
    [InlineData(RecurrencePeriod.Hourly, 3_600)]
    public void Boundaries_are_whole_periods_after_the_anchor(RecurrencePeriod period, long seconds)
    {
        var r = new Recurrence(period, 0);

        Assert.Equal(Anchor, r.BoundaryAt(Anchor, 0));
        Assert.Equal(Anchor.AddSeconds(seconds), r.BoundaryAt(Anchor, 1));
        Assert.Equal(Anchor.AddSeconds(seconds * 525_600), r.BoundaryAt(Anchor, 525_600));
    }

    [Theory]
    [InlineData(RecurrencePeriod.Minute, 60)]
    [InlineData(RecurrencePeriod.Hourly, 3_600)]
    public void The_index_changes_exactly_at_each_boundary(RecurrencePeriod period, long seconds)
    {
        var r = new Recurrence(period, 0);
        var tick = TimeSpan.FromTicks(1);

        Assert.Equal(0, r.PeriodIndexAt(Anchor, Anchor - TimeSpan.FromDays(1)));
        Assert.Equal(0, r.PeriodIndexAt(Anchor, Anchor));
        Assert.Equal(0, r.PeriodIndexAt(Anchor, Anchor.AddSeconds(seconds) - tick));
        Assert.Equal(1, r.PeriodIndexAt(Anchor, Anchor.AddSeconds(seconds)));
        Assert.Equal(1, r.PeriodIndexAt(Anchor, Anchor.AddSeconds(2 * seconds) - tick));
        Assert.Equal(2, r.PeriodIndexAt(Anchor, Anchor.AddSeconds(2 * seconds)));
    }

    [Theory]
    [InlineData(RecurrencePeriod.Minute, 60)]
    [InlineData(RecurrencePeriod.Hourly, 3_600)]
    public void Many_periods_on_the_index_is_exact_on_either_side_of_each_boundary(RecurrencePeriod period, long seconds)
    {
        var r = new Recurrence(period, 0);
        var rng = new Random(17);

        // Up to 20 years of minutes (10.5 M periods) or hours, both sides of random boundaries.
        var periods = 20L * 365 * 86_400 / seconds;
        for (var i = 0; i < 2_000; i++)
        {
            var k = rng.NextInt64(1, periods + 1);
            var boundary = Anchor.AddSeconds(seconds * k);
            Assert.Equal(k - 1, r.PeriodIndexAt(Anchor, boundary - TimeSpan.FromMilliseconds(1)));
            Assert.Equal(k, r.PeriodIndexAt(Anchor, boundary));
            Assert.Equal(k, r.PeriodIndexAt(Anchor, boundary + TimeSpan.FromSeconds(seconds / 2.0)));
        }
    }

    [Fact]
    public void An_anchor_given_with_an_offset_counts_in_utc()
    {
        var r = new Recurrence(RecurrencePeriod.Hourly, 0);
        var local = Anchor.ToOffset(TimeSpan.FromHours(5.5));

        Assert.Equal(Anchor.AddHours(3), r.BoundaryAt(local, 3));
        Assert.Equal(3, r.PeriodIndexAt(local, Anchor.AddHours(3)));
    }

    [Fact]
    public void Daily_weekly_and_monthly_boundaries_are_unchanged()
    {
        var monthEnd = new DateTimeOffset(2026, 1, 31, 8, 0, 0, TimeSpan.Zero);

        Assert.Equal(Anchor.AddDays(3), new Recurrence(RecurrencePeriod.Daily, 0).BoundaryAt(Anchor, 3));
        Assert.Equal(Anchor.AddDays(21), new Recurrence(RecurrencePeriod.Weekly, 0).BoundaryAt(Anchor, 3));
        Assert.Equal(new DateTimeOffset(2026, 2, 28, 8, 0, 0, TimeSpan.Zero), new Recurrence(RecurrencePeriod.Monthly, 0).BoundaryAt(monthEnd, 1));
        Assert.Equal(1, new Recurrence(RecurrencePeriod.Monthly, 0).PeriodIndexAt(monthEnd, new DateTimeOffset(2026, 3, 30, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void An_undefined_period_is_refused_by_validation_naming_the_field()
    {
        var spec = new GrantSpec("acct", "g", 10, Recurrence: new Recurrence((RecurrencePeriod)6, 0));

        var e = Assert.Throws<QuotaException>(spec.Validate);

        Assert.Contains("recurrence.period", e.Message, StringComparison.Ordinal);
        Assert.Contains("MINUTE", e.Message, StringComparison.Ordinal);
        new GrantSpec("acct", "g", 10, Recurrence: new Recurrence(RecurrencePeriod.Minute, 0)).Validate();
        new GrantSpec("acct", "g", 10, Recurrence: new Recurrence(RecurrencePeriod.Hourly, 0)).Validate();
    }
}
