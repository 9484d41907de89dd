namespace QuotaSidecar.Client;

/// <summary>Optional settings of one <see cref="IQuotaClient.ConsumeAsync"/>.</summary>
public sealed class ConsumeOptions
{
    /// <summary>Idempotency key (at most 128 printable ASCII characters). With one, the call is retried on UNAVAILABLE
    /// and charged once; without one it is never retried (a retry could charge twice).</summary>
    public string? RequestId { get; init; }

    /// <summary>Attribution carried to the usage records (at most 16 entries of 64 characters).</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}
