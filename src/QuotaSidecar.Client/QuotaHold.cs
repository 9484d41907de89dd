namespace QuotaSidecar.Client;

/// <summary>
/// Credits held for a piece of work, from <see cref="IQuotaClient.ReserveAsync"/>. When <see cref="Granted"/>, settle it
/// exactly once with <see cref="CommitAsync"/> (the actual usage) or <see cref="ReleaseAsync"/>; disposing an open
/// hold releases it, so <c>await using</c> gives the credits back on every path that does not commit. A denied hold
/// has nothing to settle and disposing it does nothing; nor has a hold granted in shadow mode (<see cref="ShadowDenied"/>),
/// whose commit and release do nothing.
/// </summary>
public sealed class QuotaHold : IAsyncDisposable
{
    private const int Open = 0;
    private const int Settling = 1;
    private const int Settled = 2;

    private readonly QuotaClient _client;
    private int _phase;
    private int _state; // a QuotaHoldState, as int for Volatile

    internal QuotaHold(
        QuotaClient client, bool granted, QuotaDenyReason denyReason, string reservationId, long amount,
        DateTimeOffset? expiresAt, long balanceHint, bool lowBalance, bool overage, QuotaDenyReason? shadowReason = null)
    {
        _client = client;
        Granted = granted;
        DenyReason = denyReason;
        ReservationId = reservationId;
        Amount = amount;
        ExpiresAt = expiresAt;
        BalanceHint = balanceHint;
        LowBalance = lowBalance;
        Overage = overage;
        ShadowReason = shadowReason ?? QuotaDenyReason.None;
        ShadowDenied = granted && shadowReason is not null;
        _state = (int)(ShadowDenied ? QuotaHoldState.Shadow : granted ? QuotaHoldState.Open : QuotaHoldState.Denied);
        _phase = granted && !ShadowDenied ? Open : Settled;
    }

    /// <summary>Shadow mode: the sidecar would have denied this hold for <see cref="ShadowReason"/> and granted it
    /// instead. Nothing is held: <see cref="CommitAsync"/> and <see cref="ReleaseAsync"/> do nothing.</summary>
    public bool ShadowDenied { get; }

    /// <summary>Why the sidecar would have denied the hold, when <see cref="ShadowDenied"/>.</summary>
    public QuotaDenyReason ShadowReason { get; }

    /// <summary>Denied: the account that refused, this one or an ancestor in its tree; empty when granted.</summary>
    public string DeniedAccountId { get; init; } = "";

    /// <summary>The credits are held; false: denied, see <see cref="DenyReason"/>.</summary>
    public bool Granted { get; }

    /// <summary>Why the hold was denied; <see cref="QuotaDenyReason.None"/> when granted.</summary>
    public QuotaDenyReason DenyReason { get; }

    /// <summary>The hold's id (the one given in <see cref="ReserveOptions.ReservationId"/>, or the client's own).</summary>
    public string ReservationId { get; }

    /// <summary>Credits held (0 when denied).</summary>
    public long Amount { get; }

    /// <summary>When the sidecar releases the hold by itself if it is not settled; null when denied.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The sidecar's estimate of what is still spendable after this hold.</summary>
    public long BalanceHint { get; }

    /// <summary>The balance is at or below the account's low-balance threshold.</summary>
    public bool LowBalance { get; }

    /// <summary>Part of the hold came from the account's overage allowance.</summary>
    public bool Overage { get; }

    /// <summary>Open, denied, committed or released.</summary>
    public QuotaHoldState State => (QuotaHoldState)Volatile.Read(ref _state);

    /// <summary>
    /// Charges the actual usage, <paramref name="actual"/> credits (0..2^53): less than held gives the rest back, more
    /// draws the excess from the remaining credits, then overage. Throws <see cref="InvalidOperationException"/> when the
    /// hold is denied or already settled; <see cref="Grpc.Core.RpcException"/> FAILED_PRECONDITION when it expired.
    /// </summary>
    public async Task<QuotaCommitResult> CommitAsync(long actual, CancellationToken cancellationToken = default)
    {
        if (ShadowDenied)
        {
            return new QuotaCommitResult(0, 0, 0, BalanceHint); // shadow mode: nothing held, nothing charged
        }

        Begin("commit");
        try
        {
            var result = await _client.CommitAsync(ReservationId, actual, cancellationToken).ConfigureAwait(false);
            End(QuotaHoldState.Committed);
            return result;
        }
        catch
        {
            Volatile.Write(ref _phase, Open); // still open as far as we know: dispose will try to release it
            throw;
        }
    }

    /// <summary>Gives every held credit back now; returns how many. Throws <see cref="InvalidOperationException"/> when
    /// the hold is denied or already settled.</summary>
    public async Task<long> ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (ShadowDenied)
        {
            return 0;
        }

        Begin("release");
        try
        {
            var released = await _client.ReleaseAsync(ReservationId, cancellationToken).ConfigureAwait(false);
            End(QuotaHoldState.Released);
            return released;
        }
        catch
        {
            Volatile.Write(ref _phase, Open);
            throw;
        }
    }

    /// <summary>Releases the hold if it is still open. Never throws: a failed release is logged and the hold expires
    /// on the sidecar at <see cref="ExpiresAt"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.CompareExchange(ref _phase, Settling, Open) != Open)
        {
            return;
        }

        try
        {
            await _client.ReleaseAsync(ReservationId, CancellationToken.None).ConfigureAwait(false);
            End(QuotaHoldState.Released);
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException or ObjectDisposedException)
        {
            Volatile.Write(ref _phase, Settled);
            _client.ReleaseOnDisposeFailed(ReservationId, e);
        }
    }

    private void Begin(string what)
    {
        if (Interlocked.CompareExchange(ref _phase, Settling, Open) != Open)
        {
            throw new InvalidOperationException(State == QuotaHoldState.Denied
                ? $"hold '{ReservationId}' was denied ({DenyReason}); there is nothing to {what}"
                : $"hold '{ReservationId}' is already {State.ToString().ToLowerInvariant()} or being settled; settle a hold once");
        }
    }

    private void End(QuotaHoldState state)
    {
        Volatile.Write(ref _state, (int)state);
        Volatile.Write(ref _phase, Settled);
    }
}
