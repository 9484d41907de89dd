namespace QuotaSidecar.Core.Grants;

/// <summary>A recurring allowance: at each period boundary remaining becomes <c>amount + min(unused, RolloverMax)</c>.</summary>
/// <param name="Period">How often it renews.</param>
/// <param name="RolloverMax">Unused credits carried into the next period, at most this many (&gt;= 0).</param>
public sealed record Recurrence(RecurrencePeriod Period, long RolloverMax)
{
    /// <summary>The start of period <paramref name="index"/> (0 = the anchor itself).</summary>
    public DateTimeOffset BoundaryAt(DateTimeOffset anchor, long index) => BoundaryAtUtc(anchor.ToUniversalTime(), index);

    private DateTimeOffset BoundaryAtUtc(DateTimeOffset anchor, long index) => Period switch
    {
        RecurrencePeriod.Daily => anchor.AddDays(index),
        RecurrencePeriod.Weekly => anchor.AddDays(7 * index),
        RecurrencePeriod.Monthly => anchor.AddMonths(checked((int)index)),
        RecurrencePeriod.Hourly => anchor.AddTicks(checked(index * TimeSpan.TicksPerHour)),
        RecurrencePeriod.Minute => anchor.AddTicks(checked(index * TimeSpan.TicksPerMinute)),
        _ => throw new InvalidOperationException($"unknown recurrence period {Period}"),
    };

    /// <summary>How many boundaries lie in <c>(anchor, now]</c>: the index of the period that holds <paramref name="now"/>.</summary>
    public long PeriodIndexAt(DateTimeOffset anchor, DateTimeOffset now)
    {
        if (now <= anchor)
        {
            return 0;
        }

        // A first guess from the average period length, then a walk to the exact boundary (a step or two: a minute
        // grant a year old is 525,600 periods, and the guess is exact to within one).
        var approxTicks = Period switch
        {
            RecurrencePeriod.Daily => TimeSpan.TicksPerDay,
            RecurrencePeriod.Weekly => 7 * TimeSpan.TicksPerDay,
            RecurrencePeriod.Hourly => TimeSpan.TicksPerHour,
            RecurrencePeriod.Minute => TimeSpan.TicksPerMinute,
            _ => (long)(30.436875 * TimeSpan.TicksPerDay),
        };
        var index = Math.Max(0, ((now - anchor).Ticks / approxTicks) - 1);
        while (BoundaryAt(anchor, index + 1) <= now)
        {
            index++;
        }

        while (index > 0 && BoundaryAt(anchor, index) > now)
        {
            index--;
        }

        return index;
    }
}
