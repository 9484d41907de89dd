namespace QuotaSidecar.Core.Holds;

/// <summary>
/// What remains of a finished hold with a sidecar-made id: exactly what a repeated Commit or Release answers, packed
/// in 32 bytes (four words) with the generation of its slot (docs/design.md §4a). Amounts are at most 2^53 (53 bits);
/// a balance hint, a lease plus central available, fits 54.
/// </summary>
/// <remarks>
/// Layout: w0 = committed | generation bits 0-10 (at 53); w1 = released | generation bits 11-21; w2 = overage |
/// generation bits 22-31; w3 = final balance hint | state (at 54). Generation 0 means "empty".
/// </remarks>
internal readonly struct FinishedHold
{
    private const int AmountBits = 53;
    private const ulong AmountMask = (1UL << AmountBits) - 1;
    private const int HintBits = 54;
    private const ulong HintMask = (1UL << HintBits) - 1;

    private readonly ulong _w0;
    private readonly ulong _w1;
    private readonly ulong _w2;
    private readonly ulong _w3;

    private FinishedHold(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    public long Committed => (long)(_w0 & AmountMask);

    public long Released => (long)(_w1 & AmountMask);

    public long Overage => (long)(_w2 & AmountMask);

    public long FinalBalanceHint => (long)(_w3 & HintMask);

    public HoldState State => (HoldState)(_w3 >> HintBits);

    /// <summary>The slot generation this record was written for (0: the slot holds no record).</summary>
    public uint Generation => (uint)((_w0 >> AmountBits) | ((_w1 >> AmountBits) << 11) | ((_w2 >> AmountBits) << 22));

    /// <summary>Packs a hold that has just finished (committed, released or expired).</summary>
    public static FinishedHold Of(Hold hold, uint generation) => new(
        Pack(hold.Committed, generation & 0x7FF),
        Pack(hold.Released, (generation >> 11) & 0x7FF),
        Pack(hold.Overage, generation >> 22),
        ((ulong)Math.Clamp(hold.FinalBalanceHint, 0, (long)HintMask)) | ((ulong)hold.State << HintBits));

    private static ulong Pack(long amount, uint high) => ((ulong)amount & AmountMask) | ((ulong)high << AmountBits);
}
