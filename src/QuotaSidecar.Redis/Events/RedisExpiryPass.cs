using System.Globalization;
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
    private readonly IConnectionMultiplexer _redis;
    private readonly EventKeys _keys;
    private readonly EventOptions _options;
    private readonly Dictionary<string, long> _cursors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _wrapped = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _passes;

    internal RedisExpiryPass(RedisLedger ledger, IConnectionMultiplexer redis, string keyPrefix, EventOptions options)
    {
        options.Validate();
        _ledger = ledger;
        _redis = redis;
        _keys = new EventKeys(keyPrefix);
        _options = options;
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
        var db = _redis.GetDatabase();
        var lease = _options.ExpiryPassInterval * 3;
        if (!await db.StringSetAsync(_keys.ExpiryPass, instanceId, lease, When.NotExists).ConfigureAwait(false))
        {
            if (await db.StringGetAsync(_keys.ExpiryPass).ConfigureAwait(false) != instanceId)
            {
                return -1;
            }

            await db.KeyExpireAsync(_keys.ExpiryPass, lease).ConfigureAwait(false);
        }

        var touched = 0;
        var primaries = 0;
        foreach (var endpoint in _redis.GetEndPoints())
        {
            var server = _redis.GetServer(endpoint);
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            primaries++;
            var name = endpoint.ToString() ?? "";
            _cursors.TryGetValue(name, out var cursor);
            var reply = (RedisResult[])(await server.ExecuteAsync(
                "SCAN", cursor, "MATCH", _keys.AccountPattern, "COUNT", _options.ExpiryPassCount, "TYPE", "hash").WaitAsync(cancellationToken).ConfigureAwait(false))!;
            cursor = long.Parse((string)reply[0]!, CultureInfo.InvariantCulture);
            _cursors[name] = cursor;
            if (cursor == 0)
            {
                _wrapped.Add(name);
            }

            var touches = new List<Task<bool>>();
            foreach (var key in (RedisKey[])reply[1]!)
            {
                if (AccountId(key) is { } id)
                {
                    touches.Add(_ledger.TouchAsync(id, lead, cancellationToken).AsTask());
                }
            }

            await Task.WhenAll(touches).ConfigureAwait(false);
            touched += touches.Count;
        }

        if (primaries > 0 && _wrapped.Count >= primaries)
        {
            _wrapped.Clear();
            Interlocked.Increment(ref _passes);
        }

        return touched;
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
