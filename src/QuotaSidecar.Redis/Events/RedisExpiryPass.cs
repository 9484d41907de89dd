using QuotaSidecar.Core;
using QuotaSidecar.Core.Events;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Events;

/// <summary>
/// The expiry pass of the Redis store (docs/design.md#grant-expiring): one sidecar of the fleet at a time (a short
/// lease key, like the outbox sweep) SCANs the next <see cref="EventOptions.ExpiryPassCount"/> keys of each primary
/// for account hashes and calls the ledger's <c>touch</c> function on each. A pass ends when every primary's SCAN
/// cursor has come back to 0.
/// </summary>
public sealed class RedisExpiryPass : IExpiryPass
{
    private readonly RedisLedger _ledger;
    private readonly EventOptions _options;
    private readonly PrimaryScan _scan;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _passes;

    internal RedisExpiryPass(RedisLedger ledger, IConnectionMultiplexer redis, string keyPrefix, EventOptions options)
    {
        options.Validate();
        _ledger = ledger;
        _options = options;
        var keys = new EventKeys(keyPrefix);
        _scan = new PrimaryScan(redis, keys.ExpiryPass, keys.AccountPattern, "hash");
    }

    /// <inheritdoc />
    public long Passes => Interlocked.Read(ref _passes);

    /// <inheritdoc />
    public async Task<int> StepAsync(string instanceId, TimeSpan lead, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await StepLockedAsync(instanceId, lead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new QuotaException($"the Redis central ledger is unavailable (expiry pass): {e.Message}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<int> StepLockedAsync(string instanceId, TimeSpan lead, CancellationToken cancellationToken)
    {
        if (!await _scan.HoldAsync(instanceId, _options.ExpiryPassInterval * 3).ConfigureAwait(false))
        {
            return -1;
        }

        var (keys, passDone) = await _scan.StepAsync(_options.ExpiryPassCount, cancellationToken).ConfigureAwait(false);
        var touches = new List<Task<bool>>();
        foreach (var key in keys)
        {
            if (AccountId(key) is { } id)
            {
                touches.Add(_ledger.TouchAsync(id, lead, cancellationToken).AsTask());
            }
        }

        await Task.WhenAll(touches).ConfigureAwait(false);
        if (passDone)
        {
            Interlocked.Increment(ref _passes);
        }

        return touches.Count;
    }

    // "<prefix>:{<id>}:account" -> id (an account id holds no braces: the hash tag would not be the whole id).
    private static string? AccountId(RedisKey key)
    {
        var s = (string?)key;
        if (s is null)
        {
            return null;
        }

        var open = s.IndexOf('{', StringComparison.Ordinal);
        var close = s.LastIndexOf("}:account", StringComparison.Ordinal);
        return open >= 0 && close > open + 1 ? s[(open + 1)..close] : null;
    }
}
