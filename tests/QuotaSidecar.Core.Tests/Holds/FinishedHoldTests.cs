using QuotaSidecar.Core.Holds;

namespace QuotaSidecar.Core.Tests.Holds;

/// <summary>The packed record of a finished hold gives back exactly what was packed, at the edges of each field.</summary>
public sealed class FinishedHoldTests
{
    [Theory]
    [InlineData(1, (1L << 37) - 1, 0L, (1L << 37) - 1, (1L << 53) - 1, 0xFFFFFFu)]
    [InlineData(2, 0L, (1L << 37) - 1, 0L, 0L, 1u)]
    [InlineData(3, 0L, 12_345L, 0L, 987_654_321L, 0x800001u)]
    [InlineData(1, 7L, 3L, (1L << 27) + 5, 993L, 42u)]
    public void A_record_unpacks_to_the_figures_it_was_packed_from(int finalState, long committed, long released, long overage, long hint, uint generation)
    {
        var state = (HoldState)finalState; // committed 1, released 2, expired 3
        var hold = new Hold("r-x-1", null!, 10, 1, 1)
        {
            State = state,
            Committed = committed,
            Released = released,
            Overage = overage,
            FinalBalanceHint = hint,
        };

        Assert.True(FinishedHold.Fits(hold));
        var record = FinishedHold.Of(hold, generation);

        Assert.Equal((state, committed, released, overage, hint, generation), (record.State, record.Committed, record.Released, record.Overage, record.FinalBalanceHint, record.Generation));
    }

    [Fact]
    public void A_hold_with_amounts_beyond_the_packed_width_does_not_fit()
    {
        var hold = new Hold("r-x-1", null!, 10, 1, 1) { State = HoldState.Committed, Committed = 1L << 37 };

        Assert.False(FinishedHold.Fits(hold));
    }
}
