namespace QuotaSidecar.Client;

/// <summary>
/// The Quota API of the sidecar next to this service. Denials are results, never exceptions. Errors are
/// <see cref="Grpc.Core.RpcException"/>: INVALID_ARGUMENT (a malformed request), ALREADY_EXISTS (an idempotency key
/// reused with other parameters), UNAVAILABLE (the sidecar cannot be reached, after the retries) and
/// DEADLINE_EXCEEDED (no answer within <see cref="QuotaClientOptions.Timeout"/>).
/// </summary>
public interface IQuotaClient
{
    /// <summary>
    /// Holds <paramref name="amount"/> credits of <paramref name="accountId"/> before the work. Scope the hold:
    /// <c>await using var hold = await quota.ReserveAsync(account, 10);</c> then <c>if (hold.Granted)</c> do the work
    /// and <c>await hold.CommitAsync(actual)</c>; a hold not committed is released when disposed. Retried on
    /// UNAVAILABLE (the reservation id makes it idempotent).
    /// </summary>
    /// <param name="accountId">1–128 characters of [A-Za-z0-9._:-].</param>
    /// <param name="amount">Credits, 1..2^53.</param>
    /// <param name="options">Optional reservation id, TTL and labels.</param>
    /// <param name="cancellationToken">Cancels the call (and its retries).</param>
    Task<QuotaHold> ReserveAsync(string accountId, long amount, ReserveOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Charges <paramref name="amount"/> credits at once, for work whose cost is known up front. Retried only
    /// with a <see cref="ConsumeOptions.RequestId"/>.</summary>
    Task<QuotaConsumeResult> ConsumeAsync(string accountId, long amount, ConsumeOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The sidecar's view of an account; <paramref name="consistent"/>: read the central store first.
    /// NOT_FOUND for an unknown account.</summary>
    Task<QuotaBalance> GetBalanceAsync(string accountId, bool consistent = false, CancellationToken cancellationToken = default);
}
