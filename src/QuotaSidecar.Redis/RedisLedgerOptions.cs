using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Redis;

/// <summary>Where the Redis central ledger lives and how it behaves (configuration section <c>Quota:Redis</c>).</summary>
public sealed class RedisLedgerOptions
{
    /// <summary>The key prefix that holds no account state: <c>quota</c>.</summary>
    public const string DefaultKeyPrefix = "quota";

    /// <summary>A StackExchange.Redis configuration string: one or more <c>host:port</c> (a cluster is discovered
    /// from any node), plus options such as <c>ssl=true</c>, <c>user=</c>, <c>password=</c>, <c>abortConnect=</c>.
    /// Without <c>abortConnect</c> the ledger starts even when Redis is down and reports
    /// <see cref="Core.QuotaError.Unavailable"/> until it is back.</summary>
    /// <value>The default value is <c>127.0.0.1:6379</c>.</value>
    public string ConnectionString { get; set; } = "127.0.0.1:6379";

    /// <summary>The first part of every key (<c>&lt;prefix&gt;:{&lt;account_id&gt;}:account</c>); lets several
    /// deployments share one Redis. Must not contain braces, which would change the cluster hash tag.</summary>
    /// <value>The default value is <c>quota</c>.</value>
    public string KeyPrefix { get; set; } = DefaultKeyPrefix;

    /// <summary>PEM file of the CA to trust for Redis's TLS certificate (for a private CA); turns TLS on.</summary>
    /// <value>The default value is null: the machine's trust store.</value>
    public string? TlsCaFile { get; set; }

    /// <summary>PEM client certificate presented to Redis (<c>tls-auth-clients yes</c>), with <see cref="TlsKeyFile"/>;
    /// turns TLS on.</summary>
    /// <value>The default value is null: no client certificate.</value>
    public string? TlsCertFile { get; set; }

    /// <summary>PEM private key of <see cref="TlsCertFile"/>.</summary>
    /// <value>The default value is null.</value>
    public string? TlsKeyFile { get; set; }

    /// <summary>How long a call may wait for Redis before it fails (the client's async, sync and connect timeouts;
    /// its heartbeat, which checks them, runs four times as often); with no connection a call fails at once instead
    /// of queueing. The sidecar sets it from <c>Quota:Store:ExchangeTimeout</c>. Options given in
    /// <see cref="ConnectionString"/> (<c>asyncTimeout=</c>, <c>syncTimeout=</c>, <c>connectTimeout=</c>) win.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Lease TTL, lease share, reclaim window and ledger length, shared with the embedded ledger.</summary>
    public CentralLedgerOptions Central { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("ConnectionString is required (e.g. \"127.0.0.1:6379\" or \"redis.example:6380,ssl=true,password=...\")");
        }

        if (KeyPrefix is null || KeyPrefix.IndexOfAny(['{', '}', ' ']) >= 0)
        {
            throw new ArgumentException($"KeyPrefix must not contain braces or spaces (got '{KeyPrefix}'); braces would change the cluster hash tag");
        }

        if (string.IsNullOrEmpty(TlsCertFile) != string.IsNullOrEmpty(TlsKeyFile))
        {
            throw new ArgumentException("TlsCertFile and TlsKeyFile must be set together (a client certificate and its key)");
        }

        if (OperationTimeout < TimeSpan.FromMilliseconds(10) || OperationTimeout > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"OperationTimeout must be between 10 ms and 1 minute (got {OperationTimeout})");
        }

        ArgumentNullException.ThrowIfNull(Central, nameof(Central));
        Central.Validate();
    }
}
