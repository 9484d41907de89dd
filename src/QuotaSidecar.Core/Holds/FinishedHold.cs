namespace QuotaSidecar.Core.Holds;

/// <summary>
/// What remains of a finished hold with a sidecar-made id: exactly what a repeated Commit or Release answers, packed
/// in 24 bytes (three words) with the generation of its slot, so a ring slot (this and the reference to an open
/// hold) is 32 bytes (docs/design.md §4a). Amounts of one hold up to 2^37 (137 billion credits) and any balance hint
/// (2^53) fit; a hold with larger amounts is kept whole instead (<see cref="Fits"/>).
/// </summary>
/// <remarks>
/// Layout: w0 = committed (37 bits) | generation (24, at 37) | state (2, at 61: committed 1, released 2, expired 3);
/// w1 = released (37) | overage bits 0-26 (at 37); w2 = overage bits 27-36 (10) | final balance hint (53, at 10).
/// Generation 0 means "empty".
/// </remarks>
internal readonly struct FinishedHold
{
    private const int AmountBits = 37;
    private const ulong AmountMask = (1UL << AmountBits) - 1;
    private const int OverageLowBits = 64 - AmountBits;
    private const ulong OverageLowMask = (1UL << OverageLowBits) - 1;
    private const int HintShift = AmountBits - OverageLowBits;
    private const ulong HintMask = (1UL << 53) - 1;
    private const int GenerationBits = 24;
    private const uint GenerationMask = (1U << GenerationBits) - 1;
    private const int StateShift = AmountBits + GenerationBits;

    private readonly ulong _w0;
    private readonly ulong _w1;
    private readonly ulong _w2;

    private FinishedHold(ulong w0, ulong w1, ulong w2)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
    }

    public long Committed => (long)(_w0 & AmountMask);

    public long Released => (long)(_w1 & AmountMask);

    public long Overage => (long)((_w1 >> AmountBits) | ((_w2 & ((1UL << HintShift) - 1)) << OverageLowBits));

    public long FinalBalanceHint => (long)((_w2 >> HintShift) & HintMask);

    public HoldState State => (HoldState)((_w0 >> StateShift) & 3);

    /// <summary>The slot generation this record was written for (0: the slot holds no record).</summary>
    public uint Generation => (uint)(_w0 >> AmountBits) & GenerationMask;

    /// <summary>Whether a finished hold's figures fit the packed form.</summary>
    public static bool Fits(Hold hold) =>
        hold.State is HoldState.Committed or HoldState.Released or HoldState.Expired
        && (ulong)hold.Committed <= AmountMask && (ulong)hold.Released <= AmountMask && (ulong)hold.Overage <= AmountMask
        && (ulong)hold.FinalBalanceHint <= HintMask;

    /// <summary>The generation a ring slot records for n (0 is skipped when ids are issued: see <see cref="HoldRing"/>).</summary>
    public static uint GenerationOf(long n, int capacityBits) => (uint)(n >> capacityBits) & GenerationMask;

    /// <summary>Packs a finished hold (the caller checked <see cref="Fits"/>).</summary>
    public static FinishedHold Of(Hold hold, uint generation)
    {
        var overage = (ulong)hold.Overage;
        return new(
            (ulong)hold.Committed | ((ulong)generation << AmountBits) | ((ulong)hold.State << StateShift),
            (ulong)hold.Released | ((overage & OverageLowMask) << AmountBits),
            (overage >> OverageLowBits) | ((ulong)hold.FinalBalanceHint << HintShift));
    }
}
