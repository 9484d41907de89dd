namespace QuotaSidecar.Client;

/// <summary>Where the sidecar is and how calls to it behave.</summary>
public sealed class QuotaClientOptions
{
    /// <summary>
    /// The sidecar's Quota API: <c>http://127.0.0.1:7070</c>, or a Unix domain socket as <c>unix:/run/quota/quota.sock</c>
    /// (also <c>unix:///run/quota/quota.sock</c>).
    /// </summary>
    /// <value>The default value is <c>http://127.0.0.1:7070</c>.</value>
    public string Address { get; set; } = "http://127.0.0.1:7070";

    /// <summary>The deadline of one operation, retries included.</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Attempts of an idempotent call that fails with UNAVAILABLE (1: no retry), within <see cref="Timeout"/>.</summary>
    /// <value>The default value is 4.</value>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Wait before the first retry; doubled for each further one, up to <see cref="MaxBackoff"/>, with jitter.</summary>
    /// <value>The default value is 50 ms.</value>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between two attempts.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Lifetime of a hold when <see cref="ReserveOptions.Ttl"/> is not given; null: the sidecar's default (60 s unless configured).</summary>
    public TimeSpan? HoldTtl { get; set; }

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (!QuotaAddress.TryParse(Address, out _, out var error))
        {
            throw new ArgumentException($"QuotaClientOptions.Address: {error}", nameof(Address));
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"QuotaClientOptions.Timeout must be > 0 (got {Timeout})", nameof(Timeout));
        }

        if (MaxAttempts is < 1 or > 10)
        {
            throw new ArgumentException($"QuotaClientOptions.MaxAttempts must be 1..10 (got {MaxAttempts})", nameof(MaxAttempts));
        }

        if (InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ArgumentException($"QuotaClientOptions.InitialBackoff must be > 0 and at most MaxBackoff (got {InitialBackoff} and {MaxBackoff})", nameof(InitialBackoff));
        }

        if (HoldTtl is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"QuotaClientOptions.HoldTtl must be > 0 or unset (got {ttl})", nameof(HoldTtl));
        }
    }
}
