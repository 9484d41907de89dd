using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Settlement;

/// <summary>
/// One <see cref="StoreBreaker"/> per failure domain of the store (docs/design.md {#store-breaker}). A ledger that is
/// <see cref="IStoreShards"/> (a Redis Cluster) gets one per shard serving an account now, so a failed primary stops
/// only the accounts on its slots; any other store is one domain, the <see cref="Whole"/> breaker, exactly as a single
/// breaker. At most <see cref="MaxShards"/> shard breakers: shards beyond the cap share <see cref="Whole"/> (a metric
/// and a log say so). A shard that serves no account any more (its primary failed over) is dropped at its next trial.
/// </summary>
internal sealed class StoreBreakers
{
    /// <summary>The cap on shard breakers: a cluster has a handful of primaries; the cap only guards against a store
    /// whose shard names never repeat.</summary>
    public const int MaxShards = 64;

    /// <summary>An account id no one uses: reading it is a cheap round trip to the store (the trial of the whole
    /// store); a shard's trial reads <c>{ProbeAccountId}-{n}</c>, the first such id the shard serves.</summary>
    public const string ProbeAccountId = "quota-sidecar-store-probe";

    // Enough candidates that every shard of up to MaxShards even ones serves one (a shard owning 1/64 of the slots
    // misses 1024 tries with probability e^-16): none found means it serves nothing now.
    private const int ProbeCandidates = 1024;

    private readonly ConcurrentDictionary<string, StoreBreaker> _shards = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly IStoreShards? _ledger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _firstOpen;
    private readonly TimeSpan _maxOpen;
    private readonly TimeSpan _trialTimeout;
    private readonly EngineMetrics _metrics;
    private readonly ILogger _logger;
    private int _capLogged;

    /// <param name="ledger">The ledger's shards; null: the store is one failure domain.</param>
    public StoreBreakers(IStoreShards? ledger, TimeProvider time, TimeSpan firstOpen, TimeSpan maxOpen, TimeSpan trialTimeout, EngineMetrics metrics, ILogger logger)
    {
        _ledger = ledger;
        _time = time;
        _firstOpen = firstOpen;
        _maxOpen = maxOpen;
        _trialTimeout = trialTimeout;
        _metrics = metrics;
        _logger = logger;
        Whole = new StoreBreaker(null, time, firstOpen, maxOpen, trialTimeout, logger);
    }

    /// <summary>The breaker of a store that is one failure domain, and of any account whose shard is not known.</summary>
    public StoreBreaker Whole { get; }

    /// <summary>Every breaker is closed: the whole store answers.</summary>
    public bool Closed
    {
        get
        {
            if (!Whole.Closed)
            {
                return false;
            }

            foreach (var (_, breaker) in _shards)
            {
                if (!breaker.Closed)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>No breaker is closed: no part of the store answers (a store of one domain: its breaker is not closed).</summary>
    public bool AllDown
    {
        get
        {
            if (Whole.Closed)
            {
                return false;
            }

            foreach (var (_, breaker) in _shards)
            {
                if (breaker.Closed)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>The worst state of any breaker (open, then half-open, then closed).</summary>
    public BreakerState State
    {
        get
        {
            var worst = Whole.State;
            foreach (var (_, breaker) in _shards)
            {
                worst = (BreakerState)Math.Max((int)worst, (int)breaker.State);
            }

            return worst;
        }
    }

    /// <summary>The shards whose breaker is not closed (open or half-open), by name ("whole store" or "shard &lt;endpoint&gt;").</summary>
    public IReadOnlyList<string> Unavailable()
    {
        var names = new List<string>();
        if (!Whole.Closed)
        {
            names.Add(Whole.Name);
        }

        foreach (var (_, breaker) in _shards)
        {
            if (!breaker.Closed)
            {
                names.Add(breaker.Name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>While a shard's breaker is open, has the ledger learn which shard serves what now (in the
    /// background): after a failover its accounts move to the promoted replica's breaker, closed, and are served at
    /// once, and the failed shard serves nothing and is dropped at its trial.</summary>
    public void RefreshShards()
    {
        if (_ledger is null)
        {
            return;
        }

        foreach (var (_, breaker) in _shards)
        {
            if (!breaker.Closed)
            {
                _ledger.RefreshShards();
                return;
            }
        }
    }

    /// <summary>The breaker of the shard serving <paramref name="accountId"/> now. Slow path only (an exchange going
    /// out): after a failover the account's slot maps to another primary, whose breaker is its own.</summary>
    public StoreBreaker For(string accountId) => ForShard(_ledger?.ShardOf(accountId));

    /// <summary>The trials due now: each breaker that is not closed with the account its trial reads (one on its
    /// shard). A shard that serves no account any more is dropped instead.</summary>
    public IReadOnlyList<(StoreBreaker Breaker, string ProbeAccount)> Trials()
    {
        var trials = new List<(StoreBreaker, string)>();
        if (!Whole.Closed)
        {
            trials.Add((Whole, ProbeAccountId));
        }

        foreach (var (shard, breaker) in _shards)
        {
            if (breaker.Closed)
            {
                continue;
            }

            if (ProbeAccountOn(shard) is { } probe)
            {
                trials.Add((breaker, probe));
            }
            else if (_shards.TryRemove(new KeyValuePair<string, StoreBreaker>(shard, breaker)))
            {
                EngineLog.StoreShardRetired(_logger, shard);
            }
        }

        return trials;
    }

    /// <summary>The store's client says the connection to <paramref name="shard"/> failed: opens that shard's breaker
    /// only (a shard no account uses, e.g. a replica, has none).</summary>
    public void ConnectionLost(string? shard, string reason)
    {
        if (Known(shard) is { } breaker)
        {
            breaker.Failed("the connection", reason);
        }
    }

    /// <summary>The store's client says the connection to <paramref name="shard"/> is back: its trial may go out at once.</summary>
    public void ConnectionRestored(string? shard) => Known(shard)?.ConnectionRestored();

    private StoreBreaker? Known(string? shard) =>
        shard is null ? Whole : _shards.TryGetValue(shard, out var breaker) ? breaker : null;

    private StoreBreaker ForShard(string? shard)
    {
        if (shard is null)
        {
            return Whole;
        }

        if (_shards.TryGetValue(shard, out var breaker))
        {
            return breaker;
        }

        lock (_gate)
        {
            if (_shards.TryGetValue(shard, out breaker))
            {
                return breaker;
            }

            if (_shards.Count >= MaxShards)
            {
                _metrics.StoreShardsOverflowed();
                if (Interlocked.Exchange(ref _capLogged, 1) == 0)
                {
                    EngineLog.StoreShardsCapped(_logger, MaxShards, shard);
                }

                return Whole;
            }

            breaker = new StoreBreaker(shard, _time, _firstOpen, _maxOpen, _trialTimeout, _logger);
            _shards[shard] = breaker;
            return breaker;
        }
    }

    /// <summary>An account id that <paramref name="shard"/> serves now, or null if none of the candidates is on it.</summary>
    private string? ProbeAccountOn(string shard)
    {
        for (var i = 0; i < ProbeCandidates; i++)
        {
            var candidate = $"{ProbeAccountId}-{i}";
            if (_ledger?.ShardOf(candidate) == shard)
            {
                return candidate;
            }
        }

        return null;
    }
}
