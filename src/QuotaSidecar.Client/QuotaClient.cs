using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Client;

/// <summary>
/// The typed client of the sidecar's Quota API (see <see cref="IQuotaClient"/>). Every call has a deadline
/// (<see cref="QuotaClientOptions.Timeout"/>, retries included); idempotent calls are retried on UNAVAILABLE with
/// exponential backoff and jitter: Reserve (always sent with a reservation id), Commit and Release (by id),
/// GetBalance, and Consume when it has a request id.
/// </summary>
public sealed class QuotaClient : IQuotaClient
{
    private readonly Quota.QuotaClient _grpc;
    private readonly QuotaClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>A client over <paramref name="callInvoker"/>, e.g. <c>QuotaChannel.ForAddress(address).CreateCallInvoker()</c>.</summary>
    public QuotaClient(CallInvoker callInvoker, QuotaClientOptions? options = null, TimeProvider? time = null, ILogger<QuotaClient>? logger = null)
        : this(new Quota.QuotaClient(callInvoker), options ?? new QuotaClientOptions(), time, logger)
    {
    }

    /// <summary>The client <c>AddQuotaClient</c> registers: over the generated client from the gRPC client factory.</summary>
    public QuotaClient(Quota.QuotaClient grpc, IOptions<QuotaClientOptions> options, TimeProvider? time = null, ILogger<QuotaClient>? logger = null)
        : this(grpc, (options ?? throw new ArgumentNullException(nameof(options))).Value, time, logger)
    {
    }

    private QuotaClient(Quota.QuotaClient grpc, QuotaClientOptions options, TimeProvider? time, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(grpc);
        options.Validate();
        _grpc = grpc;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public async Task<QuotaHold> ReserveAsync(string accountId, long amount, ReserveOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = new ReserveRequest
        {
            AccountId = accountId ?? throw new ArgumentNullException(nameof(accountId)),
            Amount = amount,

            // A client-made id turns a retried Reserve into a replay of the first answer instead of a second hold.
            ReservationId = options?.ReservationId ?? NewId(),
        };
        if ((options?.Ttl ?? _options.HoldTtl) is { } ttl)
        {
            request.Ttl = Duration.FromTimeSpan(ttl);
        }

        AddLabels(request.Labels, options?.Labels);
        var r = await CallAsync("Reserve", idempotent: true, o => _grpc.ReserveAsync(request, o), cancellationToken).ConfigureAwait(false);
        return new QuotaHold(
            this,
            r.Decision == Decision.Granted,
            (QuotaDenyReason)r.DenyReason,
            string.IsNullOrEmpty(r.ReservationId) ? request.ReservationId : r.ReservationId,
            r.Amount,
            r.ExpiresAt?.ToDateTimeOffset(),
            r.BalanceHint,
            r.LowBalance,
            r.Overage,
            r.ShadowDenied ? (QuotaDenyReason)r.ShadowReason : null)
        {
            DeniedAccountId = r.DeniedAccountId,
        };
    }

    /// <inheritdoc/>
    public async Task<QuotaConsumeResult> ConsumeAsync(string accountId, long amount, ConsumeOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = new ConsumeRequest
        {
            AccountId = accountId ?? throw new ArgumentNullException(nameof(accountId)),
            Amount = amount,
            RequestId = options?.RequestId ?? "",
        };
        AddLabels(request.Labels, options?.Labels);
        var r = await CallAsync("Consume", idempotent: request.RequestId.Length > 0, o => _grpc.ConsumeAsync(request, o), cancellationToken).ConfigureAwait(false);
        return new QuotaConsumeResult(r.Decision == Decision.Granted, (QuotaDenyReason)r.DenyReason, r.BalanceHint, r.LowBalance, r.Overage)
        {
            ShadowDenied = r.ShadowDenied,
            ShadowReason = (QuotaDenyReason)r.ShadowReason,
            DeniedAccountId = r.DeniedAccountId,
        };
    }

    /// <inheritdoc/>
    public async Task<QuotaBalance> GetBalanceAsync(string accountId, bool consistent = false, CancellationToken cancellationToken = default)
    {
        var request = new GetBalanceRequest { AccountId = accountId ?? throw new ArgumentNullException(nameof(accountId)), Consistent = consistent };
        var r = await CallAsync("GetBalance", idempotent: true, o => _grpc.GetBalanceAsync(request, o), cancellationToken).ConfigureAwait(false);
        return new QuotaBalance(r.AccountId, r.Spendable, r.Held, r.OverageHeadroom, r.LowBalance, r.AsOf?.ToDateTimeOffset() ?? default);
    }

    internal async Task<QuotaCommitResult> CommitAsync(string reservationId, long amount, CancellationToken cancellationToken)
    {
        var request = new CommitRequest { ReservationId = reservationId, Amount = amount };
        var r = await CallAsync("Commit", idempotent: true, o => _grpc.CommitAsync(request, o), cancellationToken).ConfigureAwait(false);
        return new QuotaCommitResult(r.Committed, r.Released, r.Overage, r.BalanceHint);
    }

    internal async Task<long> ReleaseAsync(string reservationId, CancellationToken cancellationToken)
    {
        var request = new ReleaseRequest { ReservationId = reservationId };
        var r = await CallAsync("Release", idempotent: true, o => _grpc.ReleaseAsync(request, o), cancellationToken).ConfigureAwait(false);
        return r.Released;
    }

    internal void ReleaseOnDisposeFailed(string reservationId, Exception exception) => ClientLog.ReleaseOnDisposeFailed(_logger, reservationId, exception);

    private async Task<T> CallAsync<T>(string method, bool idempotent, Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.Timeout;
        var options = new CallOptions(deadline: deadline.UtcDateTime, cancellationToken: cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(options).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && idempotent && attempt < _options.MaxAttempts)
            {
                var delay = Backoff(attempt);
                if (_time.GetUtcNow() + delay >= deadline)
                {
                    throw; // no time left for another attempt: the caller gets the real cause, not a deadline
                }

                ClientLog.Retrying(_logger, method, attempt, _options.MaxAttempts, delay);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // Exponential with "equal jitter": half the step fixed, half random, so clients that failed together spread out.
    private TimeSpan Backoff(int attempt)
    {
        var step = Math.Min(_options.MaxBackoff.Ticks, _options.InitialBackoff.Ticks << Math.Min(attempt - 1, 20));
        return TimeSpan.FromTicks((step / 2) + Random.Shared.NextInt64((step / 2) + 1));
    }

    private static void AddLabels(Google.Protobuf.Collections.MapField<string, string> target, IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null)
        {
            return;
        }

        foreach (var (key, value) in labels)
        {
            target[key] = value;
        }
    }

    private static string NewId() => "qc-" + Guid.NewGuid().ToString("N");
}
