using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;
using QuotaSidecar.Redis.Scripts;
using StackExchange.Redis;

namespace QuotaSidecar.Redis;

/// <summary>
/// The central ledger on Redis 7 (docs/design.md §4). Every call is one FCALL of the ledger's function library over one
/// account's keys, which share the hash tag <c>{account_id}</c>, so it is atomic per account and runs unchanged on
/// Redis Cluster. The library is loaded with FUNCTION LOAD on every master the first time one lacks it. The rules are
/// those of the embedded ledger, step by step; the time is the injected <see cref="TimeProvider"/>'s, in milliseconds,
/// never the Redis server's. Redis errors and timeouts surface as <see cref="QuotaException"/> with
/// <see cref="QuotaError.Unavailable"/>.
/// </summary>
public sealed partial class RedisLedger : ICentralLedger, Core.Events.IGrantExpiryWarnings, IStoreConnectionEvents, IStoreShards, IAsyncDisposable, IDisposable
{
    /// <summary>The shard of the accounts whose slot no live primary serves (between a primary's failure and its
    /// replica's promotion).</summary>
    private const string UnservedSlots = "slots without a live primary";

    /// <summary>The meter of the Redis ledger's instruments.</summary>
    public const string MeterName = "QuotaSidecar.Redis";

    /// <summary>Counter of round trips to Redis (each FCALL, and each FUNCTION LOAD after a server lacked the library),
    /// tagged <c>script</c> (the function's short name, e.g. <c>exchange</c>).</summary>
    public const string CallsInstrumentName = "quota.redis.calls";

    private readonly IConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly TimeProvider _time;
    private readonly string _keyPrefix;
    private readonly RedisValue _leaseTtl;
    private readonly RedisValue _maxLeaseShare;
    private readonly RedisValue _reclaimWindow;
    private readonly RedisValue _reclaimGrace;
    private readonly RedisValue _maxLedgerEntries;
    private readonly RedisValue _instanceRecordHorizon;
    private readonly RedisValue _maxLabelSets;
    private readonly Meter? _ownedMeter;
    private readonly Counter<long> _calls;
    private long _callCount;

    // RefreshShards: when the client last reconfigured for it (UTC ticks), and whether it is reconfiguring now.
    private long _shardsRefreshedTicks;
    private int _refreshingShards;

    /// <summary>Uses an existing connection (not disposed with the ledger).</summary>
    /// <param name="redis">A connection to a Redis server or cluster (Redis 7.0 or later: functions).</param>
    /// <param name="options">Key prefix and ledger settings; <see cref="RedisLedgerOptions.ConnectionString"/> is not used here.</param>
    /// <param name="time">The clock every script is given; defaults to the system clock.</param>
    /// <param name="meterFactory">Creates the <see cref="MeterName"/> meter; without one the ledger owns its meter.</param>
    public RedisLedger(IConnectionMultiplexer redis, RedisLedgerOptions? options = null, TimeProvider? time = null, IMeterFactory? meterFactory = null)
        : this(redis, ownsConnection: false, options ?? new RedisLedgerOptions(), time, meterFactory)
    {
    }

    private RedisLedger(IConnectionMultiplexer redis, bool ownsConnection, RedisLedgerOptions options, TimeProvider? time, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(redis);
        options.Validate();
        _redis = redis;
        _ownsConnection = ownsConnection;
        _time = time ?? TimeProvider.System;
        _keyPrefix = options.KeyPrefix;

        // Snapshotted: the options object is mutable, and every script call must see the same settings.
        var central = options.Central;
        _leaseTtl = UnixMilliseconds.From(central.LeaseTtl);
        _maxLeaseShare = central.MaxLeaseShare.ToString("R", CultureInfo.InvariantCulture);
        _reclaimWindow = UnixMilliseconds.From(central.ReclaimWindow);
        _reclaimGrace = UnixMilliseconds.From(central.ReclaimGrace);
        _maxLedgerEntries = central.MaxLedgerEntries;
        _instanceRecordHorizon = UnixMilliseconds.From(central.InstanceRecordHorizon);
        _maxLabelSets = central.MaxLabelSets;

        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;

        var meter = meterFactory?.Create(MeterName) ?? (_ownedMeter = new Meter(MeterName));
        _calls = meter.CreateCounter<long>(CallsInstrumentName, unit: "{call}", description: "Round trips to Redis made by the central ledger");
    }

    /// <inheritdoc />
    public event Action<string?, string>? ConnectionLost;

    /// <inheritdoc />
    public event Action<string?>? ConnectionRestored;

    /// <summary>The connection, for instrumentation only (the host attaches the OpenTelemetry Redis instrumentation's
    /// profiler to it when tracing is on); commands go through the ledger's methods.</summary>
    public IConnectionMultiplexer Connection => _redis;
    /// <summary>Raised with the account id after a call that may have left balance events in the account's outbox
    /// (an exchange that says so, a grant, a void, an upsert): the relay copies them to the global stream
    /// (<see cref="Events.RedisEventLog.RelayAsync"/>). Raised on the caller's thread; a handler must not block.</summary>
    public event Action<string>? EventsPending;

    /// <summary>Round trips to Redis so far (each FCALL, and each FUNCTION LOAD after a server lacked the library).</summary>
    public long CallCount => Interlocked.Read(ref _callCount);

    /// <summary>Connects to <see cref="RedisLedgerOptions.ConnectionString"/>; the ledger owns the connection.</summary>
    public static async Task<RedisLedger> ConnectAsync(RedisLedgerOptions options, TimeProvider? time = null, IMeterFactory? meterFactory = null)
    {
        var config = Configuration(options);
        try
        {
            var redis = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
            return new RedisLedger(redis, ownsConnection: true, options, time, meterFactory);
        }
        catch (RedisConnectionException e)
        {
            throw new QuotaException($"cannot connect to Redis at '{Endpoints(config)}': {e.Message}", e);
        }
    }

    /// <summary>Like <see cref="ConnectAsync"/>, for synchronous factories (a DI registration). Without
    /// <c>abortConnect</c> it returns without waiting for Redis.</summary>
    public static RedisLedger Connect(RedisLedgerOptions options, TimeProvider? time = null, IMeterFactory? meterFactory = null)
    {
        var config = Configuration(options);
        try
        {
            var redis = ConnectionMultiplexer.Connect(config);
            return new RedisLedger(redis, ownsConnection: true, options, time, meterFactory);
        }
        catch (RedisConnectionException e)
        {
            throw new QuotaException($"cannot connect to Redis at '{Endpoints(config)}': {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public async ValueTask<LeaseExchangeResult> ExchangeAsync(LeaseExchange exchange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        exchange.Validate();
        var reply = await RunAsync(
            LedgerLibrary.Instance.Exchange,
            exchange.AccountId,
            WithLabelUsage(exchange, [
                exchange.InstanceId,
                exchange.Sequence.ToString(CultureInfo.InvariantCulture),
                exchange.Used,
                exchange.Return,
                exchange.ReturnOverage,
                exchange.Want,
                exchange.MinAcceptable,
                exchange.OverageWant,
                exchange.Held,
                exchange.ComposedAt is { } composedAt ? UnixMilliseconds.From(composedAt) : "",
                exchange.Acknowledged.ToString(CultureInfo.InvariantCulture),
                exchange.AcknowledgedUsage,
                exchange.AcknowledgedAt is { } acknowledgedAt ? UnixMilliseconds.From(acknowledgedAt) : "",
            ]),
            cancellationToken).ConfigureAwait(false);
        if (ScriptReplies.EventsPending(reply) > 0)
        {
            EventsPending?.Invoke(exchange.AccountId);
        }

        return ScriptReplies.Exchange(exchange.AccountId, reply);
    }

    /// <inheritdoc />
    public async ValueTask<AccountView?> GetAccountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        var reply = await RunAsync(LedgerLibrary.Instance.GetAccount, accountId, [], cancellationToken).ConfigureAwait(false);
        return ScriptReplies.Status(reply) == 0 ? null : ScriptReplies.AccountView(accountId, reply);
    }

    /// <inheritdoc />
    public async ValueTask<Grant> GrantAsync(GrantSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var reply = await RunAsync(
            LedgerLibrary.Instance.Grant,
            spec.AccountId,
            [
                spec.GrantId,
                spec.Amount,
                spec.Priority,
                (int)spec.Category,
                spec.EffectiveAt is { } from ? UnixMilliseconds.From(from) : "",
                spec.ExpiresAt is { } to ? UnixMilliseconds.From(to) : "",
                spec.Recurrence is { } r ? (int)r.Period : 0,
                spec.Recurrence?.RolloverMax ?? 0,
                GrantMetadata.Encode(spec.Metadata),
            ],
            cancellationToken).ConfigureAwait(false);
        var status = ScriptReplies.Status(reply);
        if (status == 0)
        {
            throw AccountNotFound(spec.AccountId);
        }

        if (status == -2)
        {
            throw new QuotaException(
                QuotaError.InvalidArgument,
                $"amount {spec.Amount} would take account '{spec.AccountId}' past {Validation.MaxAccountTotal} credits granted in total");
        }

        var stored = ScriptReplies.GrantAfterStatus(spec.AccountId, reply);
        EventsPending?.Invoke(spec.AccountId);
        if (status == 2 && !stored.ToSpec().SameGrantAs(spec))
        {
            throw new QuotaException(
                QuotaError.AlreadyExists,
                $"grant_id '{spec.GrantId}' already exists with different fields; use a new grant_id for a new grant");
        }

        return stored.Grant;
    }

    /// <inheritdoc />
    public async ValueTask<Grant> VoidGrantAsync(string accountId, string grantId, CancellationToken cancellationToken = default)
    {
        Validation.RequiredId(grantId, "grant_id");
        Validation.AccountId(accountId, "account_id");
        var reply = await RunAsync(LedgerLibrary.Instance.Void, accountId, [grantId], cancellationToken).ConfigureAwait(false);
        EventsPending?.Invoke(accountId);
        return ScriptReplies.Status(reply) switch
        {
            0 => throw AccountNotFound(accountId),
            -1 => throw new QuotaException(QuotaError.NotFound, $"grant '{grantId}' not found in account '{accountId}'"),
            _ => ScriptReplies.GrantAfterStatus(accountId, reply).Grant,
        };
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<Grant>> ListGrantsAsync(string accountId, bool includeInactive, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        var reply = await RunAsync(
            LedgerLibrary.Instance.ListGrants, accountId, [includeInactive ? "1" : "0"], cancellationToken).ConfigureAwait(false);
        return ScriptReplies.Status(reply) == 0 ? throw AccountNotFound(accountId) : ScriptReplies.Grants(accountId, reply);
    }

    /// <inheritdoc />
    /// <remarks>Entry ids are Redis stream ids (<c>&lt;n&gt;-0</c>); <paramref name="after"/> must be one of them.</remarks>
    public async ValueTask<LedgerPage> ListEntriesAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 1000)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"limit must be between 1 and 1000 (got {limit})");
        }

        Validation.AccountId(accountId, "account_id");
        after ??= "";
        if (after.Length > 0 && !IsStreamId(after))
        {
            throw new QuotaException(
                QuotaError.InvalidArgument,
                $"after must be an entry id from a previous page, like \"42-0\" (got '{after}')");
        }

        var reply = await RunAsync(LedgerLibrary.Instance.ListEntries, accountId, [after, limit], cancellationToken).ConfigureAwait(false);
        return ScriptReplies.Status(reply) == 0 ? throw AccountNotFound(accountId) : ScriptReplies.Entries(reply);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<LabelUsage>?> GetUsageAsync(string accountId, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        var reply = await RunAsync(LedgerLibrary.Instance.Usage, accountId, [], cancellationToken).ConfigureAwait(false);
        return ScriptReplies.Status(reply) == 0 ? null : ScriptReplies.Usage(reply);
    }

    /// <inheritdoc />
    public async ValueTask<bool> TouchAsync(string accountId, TimeSpan lead, CancellationToken cancellationToken = default)
    {
        Validation.AccountId(accountId, "account_id");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lead, TimeSpan.Zero);
        var reply = await RunAsync(LedgerLibrary.Instance.Touch, accountId, [UnixMilliseconds.From(lead)], cancellationToken).ConfigureAwait(false);
        if (ScriptReplies.Status(reply) == 0)
        {
            return false;
        }

        if ((long)((RedisResult[])reply!)[1] > 0)
        {
            EventsPending?.Invoke(accountId);
        }

        return true;
    }

    /// <summary>Raises <see cref="EventsPending"/> for an account whose outbox a call outside this class may have
    /// written to (a recharge policy applied by a read).</summary>
    internal Task RelaySignalAsync(string accountId)
    {
        EventsPending?.Invoke(accountId);
        return Task.CompletedTask;
    }

    /// <summary>Auto-recharge policies of this ledger's accounts (docs/design.md#auto-recharge).</summary>
    public Events.RedisRechargePolicies CreateRechargePolicies() => new(this, _redis, _keyPrefix);

    /// <summary>The webhook delivery queue of this ledger's events (docs/design.md#webhooks).</summary>
    public Events.RedisDeliveryQueue CreateDeliveryQueue() => new(_redis, _keyPrefix, _time);

    /// <summary>The balance events of this ledger's accounts, on its connection, key prefix and clock
    /// (docs/design.md#balance-events).</summary>
    public Events.RedisEventLog CreateEventLog(Core.Events.EventOptions? options = null) => new(_redis, _keyPrefix, options, _time);

    /// <summary>The periodic pass that decides <c>grant.expiring</c> for every account of this ledger
    /// (docs/design.md#grant-expiring).</summary>
    public Events.RedisExpiryPass CreateExpiryPass(Core.Events.EventOptions? options = null) => new(this, _redis, _keyPrefix, options ?? new Core.Events.EventOptions());

    /// <summary>Closes the connection if the ledger opened it (<see cref="ConnectAsync"/>, <see cref="Connect"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
        _ownedMeter?.Dispose();
        if (_ownsConnection)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose()
    {
        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
        _ownedMeter?.Dispose();
        if (_ownsConnection)
        {
            _redis.Dispose();
        }
    }

    /// <summary>On a Redis Cluster, the endpoint of the primary serving the account's hash slot now, as the cluster
    /// last described itself to the client (CLUSTER NODES, refreshed by the client after a failover or a MOVED; no
    /// I/O); null on a single server (one failure domain) or when the client knows no server for the slot.</summary>
    public string? ShardOf(string accountId)
    {
        try
        {
            var key = AccountKeys.Account(_keyPrefix, accountId);
            var server = _redis.GetServer(key);
            if (server.ServerType != ServerType.Cluster)
            {
                return null;
            }

            // Not the server GetServer chose: when the slot's primary is disconnected it answers with any other server
            // (its fallback for routing), which would put a dead primary's accounts on a healthy primary's breaker.
            // The owner in the cluster's description (CLUSTER NODES as the client last read it).
            var topology = server.ClusterConfiguration;
            if (topology is null)
            {
                return Shard(server.EndPoint);
            }

            // A primary the cluster marked failed is left out of the description: until its replica is promoted its
            // slots have no owner, and their accounts share one breaker of their own (not a healthy primary's).
            return topology.GetBySlot(_redis.GetHashSlot(key))?.EndPoint is { } owner ? Shard(owner) : UnservedSlots;
        }
        catch (Exception e) when (e is RedisException or InvalidOperationException)
        {
            return null; // no server known for the slot: the account shares the whole store's breaker
        }
    }

    /// <summary>Has the client reconfigure (CLUSTER NODES from every node, as at connect), in the background and at
    /// most once a second: after a failover its description still names the failed primary until it reconfigures,
    /// which it may not do on its own while no call for those slots goes out (the failed shard's breaker holds them
    /// back).</summary>
    public void RefreshShards()
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (now - Interlocked.Read(ref _shardsRefreshedTicks) < TimeSpan.TicksPerSecond || Interlocked.Exchange(ref _refreshingShards, 1) == 1)
        {
            return;
        }

        Interlocked.Exchange(ref _shardsRefreshedTicks, now);
        _ = ReconfigureAsync();
    }

    private async Task ReconfigureAsync()
    {
        try
        {
            await _redis.ConfigureAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or RedisCommandException or TimeoutException or InvalidOperationException)
        {
            // the next refresh tries again; ShardOf answers from the description the client has
        }
        finally
        {
            Volatile.Write(ref _refreshingShards, 0);
        }
    }

    // The same text for an endpoint whether it comes from the cluster map or a connection event.
    private static string Shard(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.ToString(),
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString() ?? "",
    };

    // Only the connections that carry the ledger's calls; a subscription connection's state says nothing about them.
    // On a cluster the event names its node's endpoint, the shard whose breaker it opens or restores.
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            ConnectionLost?.Invoke(ShardOf(e.EndPoint), $"connection to {e.EndPoint} failed ({e.FailureType}): {e.Exception?.Message}");
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            ConnectionRestored?.Invoke(ShardOf(e.EndPoint));
        }
    }

    private string? ShardOf(EndPoint? endPoint)
    {
        if (endPoint is null)
        {
            return null;
        }

        try
        {
            return _redis.GetServer(endPoint).ServerType == ServerType.Cluster ? Shard(endPoint) : null;
        }
        catch (ArgumentException)
        {
            return null; // an endpoint the client does not know (any more)
        }
    }

    /// <summary>Calls a library function (FCALL); when the server does not have the library (a restart without
    /// persistence, a failover to a replica that lacks it, a new cluster node, FUNCTION FLUSH), loads it on every
    /// master and calls once more.</summary>
    private async Task<RedisResult> RunAsync(LedgerFunction function, string accountId, RedisValue[] functionArgs, CancellationToken cancellationToken)
    {
        var keys = AccountKeys.For(_keyPrefix, accountId);
        // FCALL name numkeys key... arg...: the arguments every function starts with (ledger.lua), then its own.
        // The keys go as RedisKey, which is what routes the call to the master of their slot on a cluster.
        var args = new object[2 + keys.Length + 8 + functionArgs.Length];
        args[0] = function.FunctionName;
        args[1] = keys.Length;
        keys.CopyTo(args, 2);
        var at = 2 + keys.Length;
        args[at++] = UnixMilliseconds.From(_time.GetUtcNow());
        args[at++] = _leaseTtl;
        args[at++] = _maxLeaseShare;
        args[at++] = _reclaimWindow;
        args[at++] = _maxLedgerEntries;
        args[at++] = _reclaimGrace;
        args[at++] = Validation.MaxAccountTotal;
        args[at++] = _instanceRecordHorizon;
        foreach (var arg in functionArgs)
        {
            args[at++] = arg;
        }

        var db = _redis.GetDatabase();
        try
        {
            try
            {
                Count(function);
                return await db.ExecuteAsync("FCALL", args).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Message.Contains("Function not found", StringComparison.Ordinal))
            {
                await LoadLibraryAsync(function, cancellationToken).ConfigureAwait(false);
                Count(function);
                return await db.ExecuteAsync("FCALL", args).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // RedisTimeoutException is a TimeoutException; connection and server errors are RedisExceptions.
            throw new QuotaException(
                $"the Redis central ledger is unavailable ({function.Name} for account '{accountId}'): {e.Message}", e);
        }
    }

    /// <summary>FUNCTION LOAD REPLACE on every connected master: on a cluster the call's own master is not known here,
    /// and the others need the library too. REPLACE makes it harmless where the library is already loaded.</summary>
    private async Task LoadLibraryAsync(LedgerFunction function, CancellationToken cancellationToken)
    {
        var library = LedgerLibrary.Instance;
        foreach (var endpoint in _redis.GetEndPoints())
        {
            var server = _redis.GetServer(endpoint);
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            Count(function);
            await server.ExecuteAsync("FUNCTION", "LOAD", "REPLACE", library.Source).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Count(LedgerFunction function) => Count(function.Name);

    private void Count(string script)
    {
        Interlocked.Increment(ref _callCount);
        _calls.Add(1, new KeyValuePair<string, object?>("script", script));
    }

    /// <summary>The exchange function's arguments followed by its usage per label set (ledger.lua, exchange_entry):
    /// the cap, then set and amount pairs; nothing more when the exchange carries none.</summary>
    private RedisValue[] WithLabelUsage(LeaseExchange exchange, RedisValue[] args)
    {
        if (exchange.LabelUsage is not { Count: > 0 } usage)
        {
            return args;
        }

        var all = new RedisValue[args.Length + 1 + (2 * usage.Count)];
        args.CopyTo(all, 0);
        var at = args.Length;
        all[at++] = _maxLabelSets;
        foreach (var (labelSet, amount) in usage)
        {
            all[at++] = labelSet;
            all[at++] = amount;
        }

        return all;
    }

    private static QuotaException AccountNotFound(string accountId) =>
        new(QuotaError.NotFound, $"account '{accountId}' not found; create it with UpsertAccount first");

    private static bool IsStreamId(string s)
    {
        var dash = s.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && dash < s.Length - 1 && s.Length <= 41
            && !s.AsSpan(0, dash).ContainsAnyExceptInRange('0', '9')
            && !s.AsSpan(dash + 1).ContainsAnyExceptInRange('0', '9');
    }

    private static ConfigurationOptions Configuration(RedisLedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var config = ConfigurationOptions.Parse(options.ConnectionString);
        if (!options.ConnectionString.Contains("abortConnect", StringComparison.OrdinalIgnoreCase))
        {
            // A sidecar keeps serving from its leases while Redis is down (docs/design.md §4); it must start anyway.
            config.AbortOnConnectFail = false;
        }

        // A dead or blackholed Redis must be an error within the operation timeout, not a wait of the client's 5 s
        // default, and calls must not queue behind a connection that is down (docs/design.md {#store-breaker}).
        var timeout = (int)options.OperationTimeout.TotalMilliseconds;
        if (!Given(options, "asyncTimeout"))
        {
            config.AsyncTimeout = timeout;
        }

        if (!Given(options, "syncTimeout"))
        {
            config.SyncTimeout = timeout;
        }

        if (!Given(options, "connectTimeout"))
        {
            config.ConnectTimeout = Math.Max(timeout, 1000); // a TLS handshake on a busy server needs its time
        }

        config.HeartbeatInterval = TimeSpan.FromMilliseconds(Math.Clamp(timeout / 4, 50, 1000));
        config.BacklogPolicy = BacklogPolicy.FailFast;

        if (!string.IsNullOrEmpty(options.TlsCaFile))
        {
            config.Ssl = true;
            config.TrustIssuer(options.TlsCaFile);
        }

        if (!string.IsNullOrEmpty(options.TlsCertFile))
        {
            config.Ssl = true;
            var certificate = X509Certificate2.CreateFromPemFile(options.TlsCertFile, options.TlsKeyFile);
            config.CertificateSelection += (_, _, _, _, _) => certificate;
        }

        return config;
    }

    private static bool Given(RedisLedgerOptions options, string key) =>
        options.ConnectionString.Contains(key + "=", StringComparison.OrdinalIgnoreCase);

    private static string Endpoints(ConfigurationOptions config) => string.Join(",", config.EndPoints.Select(e => e.ToString()));
}
