namespace QuotaSidecar.Core.Events;

/// <summary>Settings of the balance events (<c>Quota:Events</c>), the same for both ledgers.</summary>
public sealed class EventOptions
{
    /// <summary>How long events are kept in the global stream (and their ids remembered for deduplication).</summary>
    /// <value>The default value is 7 days.</value>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often a watcher of the Redis stream looks for new events.</summary>
    /// <value>The default value is 200 milliseconds.</value>
    public TimeSpan WatchPollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The most events one filtered listing looks at before it answers with what it found.</summary>
    /// <value>The default value is 10,000.</value>
    public int MaxScan { get; set; } = 10_000;

    /// <summary>How often the Redis sweep looks for account outboxes nobody relayed (a sidecar that died between
    /// the change and the relay, an account not touched since).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Keys the sweep asks each Redis primary to look at per <see cref="SweepInterval"/> (SCAN COUNT).</summary>
    /// <value>The default value is 1,000.</value>
    public int SweepCount { get; set; } = 1_000;

    /// <summary>How long before a grant's <c>expires_at</c> the <c>grant.expiring</c> event is sent
    /// (docs/design.md#grant-expiring); zero turns the event and the expiry pass off.</summary>
    /// <value>The default value is 72 hours.</value>
    public TimeSpan GrantExpiringLead { get; set; } = TimeSpan.FromHours(72);

    /// <summary>How often the expiry pass (one sidecar of the fleet at a time) takes its next step over the accounts.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan ExpiryPassInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Keys the expiry pass asks each Redis primary to look at per step (SCAN COUNT; every account hash found
    /// is touched), or accounts the embedded store touches per step.</summary>
    /// <value>The default value is 1,000.</value>
    public int ExpiryPassCount { get; set; } = 1_000;

    /// <summary>Webhook delivery (<c>Quota:Events:Webhook</c>); off unless its URL is set.</summary>
    public WebhookOptions Webhook { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is out of range.</summary>
    public void Validate()
    {
        Webhook.Validate();

        if (Retention < TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"Retention must be at least 1 minute (got {Retention})");
        }

        if (WatchPollInterval < TimeSpan.FromMilliseconds(10) || WatchPollInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"WatchPollInterval must be between 10 ms and 1 minute (got {WatchPollInterval})");
        }

        if (MaxScan is < 1_000 or > 1_000_000)
        {
            throw new ArgumentException($"MaxScan must be between 1000 and 1000000 (got {MaxScan})");
        }

        if (SweepInterval < TimeSpan.FromMilliseconds(100) || SweepInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"SweepInterval must be between 100 ms and 1 hour (got {SweepInterval})");
        }

        if (SweepCount is < 10 or > 100_000)
        {
            throw new ArgumentException($"SweepCount must be between 10 and 100000 (got {SweepCount})");
        }

        if (GrantExpiringLead < TimeSpan.Zero || GrantExpiringLead > TimeSpan.FromDays(366))
        {
            throw new ArgumentException($"GrantExpiringLead must be between 0 (off) and 366 days (got {GrantExpiringLead})");
        }

        if (GrantExpiringLead > TimeSpan.Zero && GrantExpiringLead < TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"GrantExpiringLead must be 0 (off) or at least 1 minute (got {GrantExpiringLead})");
        }

        if (ExpiryPassInterval < TimeSpan.FromMilliseconds(100) || ExpiryPassInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"ExpiryPassInterval must be between 100 ms and 1 hour (got {ExpiryPassInterval})");
        }

        if (ExpiryPassCount is < 10 or > 100_000)
        {
            throw new ArgumentException($"ExpiryPassCount must be between 10 and 100000 (got {ExpiryPassCount})");
        }
    }
}
