using QuotaSidecar.Redis;

namespace QuotaSidecar.Configuration;

/// <summary>The Redis store (<c>Quota:Redis</c>); read and written in the Redis ledger's <see cref="RedisLedgerOptions"/>.</summary>
public sealed class RedisOptions
{
    private readonly RedisLedgerOptions _redis;
    private readonly LedgerOptions _ledger;
    private string? _connectionString;
    private int? _maxLedgerEntries;

    internal RedisOptions(RedisLedgerOptions redis, LedgerOptions ledger)
    {
        _redis = redis;
        _ledger = ledger;
    }

    /// <summary>StackExchange.Redis configuration string, e.g. <c>redis:6379,ssl=true,user=quota,password=...</c>
    /// (<see cref="RedisLedgerOptions.ConnectionString"/>).</summary>
    /// <value>The default value is null: unset, which <c>Quota:Store=Redis</c> refuses (the Redis ledger's own
    /// default, a local Redis, is for code that builds the ledger itself, not for a sidecar).</value>
    public string? ConnectionString
    {
        get => _connectionString;
        set
        {
            _connectionString = value;
            if (!string.IsNullOrWhiteSpace(value))
            {
                _redis.ConnectionString = value;
            }
        }
    }

    /// <summary>Prefix of every key this sidecar writes (<see cref="RedisLedgerOptions.KeyPrefix"/>).</summary>
    /// <value>The Redis ledger's default: <c>quota</c>.</value>
    public string KeyPrefix
    {
        get => _redis.KeyPrefix;
        set => _redis.KeyPrefix = value;
    }

    /// <summary>The old name of <c>Quota:Ledger:MaxEntries</c> (<see cref="LedgerOptions.MaxEntries"/>), kept working:
    /// it also bounded the embedded ledger, so it moved out of the Redis section. The new key wins when both are set.</summary>
    /// <value>The default value is null: unset (the limit is <see cref="LedgerOptions.MaxEntries"/>).</value>
    public int? MaxLedgerEntries
    {
        get => _maxLedgerEntries;
        set
        {
            _maxLedgerEntries = value;
            if (value is { } entries)
            {
                _ledger.SetFromOldName(entries);
            }
        }
    }

    /// <summary>PEM file of the CA that signed Redis's TLS certificate, when the machine does not trust it already
    /// (a private CA). Setting it turns TLS on (<see cref="RedisLedgerOptions.TlsCaFile"/>).</summary>
    public string? TlsCaFile
    {
        get => _redis.TlsCaFile;
        set => _redis.TlsCaFile = value;
    }

    /// <summary>PEM client certificate for Redis <c>tls-auth-clients</c>; with <see cref="TlsKeyFile"/>. Turns TLS on
    /// (<see cref="RedisLedgerOptions.TlsCertFile"/>).</summary>
    public string? TlsCertFile
    {
        get => _redis.TlsCertFile;
        set => _redis.TlsCertFile = value;
    }

    /// <summary>PEM private key of <see cref="TlsCertFile"/> (<see cref="RedisLedgerOptions.TlsKeyFile"/>).</summary>
    public string? TlsKeyFile
    {
        get => _redis.TlsKeyFile;
        set => _redis.TlsKeyFile = value;
    }
}
