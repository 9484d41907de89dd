using System.Globalization;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Events;
using StackExchange.Redis;

namespace QuotaSidecar.Redis.Events;

/// <summary>
/// Auto-recharge policies on Redis (docs/design.md#auto-recharge): the policy is a field of the account hash
/// (<c>rc_policy</c>), decided by the ledger script with the balance events (<c>decide_events</c> in ledger.lua), so
/// the monthly cap and the cooldown are enforced centrally, atomically with the change that crosses.
/// </summary>
public sealed class RedisRechargePolicies : IRechargePolicies
{
    // KEYS[1] the account hash; ARGV[1] the policy. Only for an account that exists (HSET would make a bare hash).
    private const string SetScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], 'rc_policy', ARGV[1])
        return 1
        """;

    private readonly RedisLedger _ledger;
    private readonly IConnectionMultiplexer _redis;
    private readonly string _keyPrefix;

    internal RedisRechargePolicies(RedisLedger ledger, IConnectionMultiplexer redis, string keyPrefix)
    {
        _ledger = ledger;
        _redis = redis;
        _keyPrefix = keyPrefix;
    }

    /// <inheritdoc />
    public async ValueTask<RechargeState> SetRechargePolicyAsync(RechargePolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        var value = string.Create(CultureInfo.InvariantCulture, $"{policy.Threshold} {policy.Target} {policy.MaxPerMonth} {(long)policy.Cooldown.TotalMilliseconds}");
        var set = await Run(() => _redis.GetDatabase().ScriptEvaluateAsync(SetScript, [AccountKey(policy.AccountId)], [value]))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        if ((long)set == 0)
        {
            throw NotFound(policy.AccountId);
        }

        // Any ledger call decides; this one changes nothing else, and it signals the relay.
        await _ledger.GetAccountAsync(policy.AccountId, cancellationToken).ConfigureAwait(false);
        await _ledger.RelaySignalAsync(policy.AccountId).ConfigureAwait(false);
        return await GetRechargePolicyAsync(policy.AccountId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<RechargeState> GetRechargePolicyAsync(string accountId, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        var fields = await Run(() => _redis.GetDatabase().HashGetAsync(AccountKey(accountId), ["status", "rc_policy", "rc_state"]))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        if (fields[0].IsNull)
        {
            throw NotFound(accountId);
        }

        RechargePolicy? policy = null;
        if (!fields[1].IsNull)
        {
            var p = ((string)fields[1]!).Split(' ');
            policy = new RechargePolicy(accountId, Long(p[0]), Long(p[1]), (int)Long(p[2]), TimeSpan.FromMilliseconds(Long(p[3])));
        }

        if (fields[2].IsNull)
        {
            return new RechargeState(policy, 0, null, 0);
        }

        // requested month count last_ms requests (ledger.lua, decide_events)
        var s = ((string)fields[2]!).Split(' ');
        return new RechargeState(
            policy, (int)Long(s[2]), s[3] == "-" ? null : DateTimeOffset.FromUnixTimeMilliseconds(Long(s[3])), Long(s[4]));
    }

    private RedisKey AccountKey(string accountId) => AccountKeys.For(_keyPrefix, accountId)[0];

    private static long Long(string s) => long.Parse(s, CultureInfo.InvariantCulture);

    private static QuotaException NotFound(string accountId) =>
        new(QuotaError.NotFound, $"account '{accountId}' not found; create it with UpsertAccount first");

    private static async Task<T> Run<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new QuotaException($"the Redis central ledger is unavailable (recharge policy): {e.Message}", e);
        }
    }
}
