namespace QuotaSidecar.Client;

/// <summary>Optional settings of one <see cref="IQuotaClient.ConsumeAsync"/>.</summary>
public sealed class ConsumeOptions
{
    /// <summary>Idempotency key (at most 128 printable ASCII characters). With one, the call is retried on UNAVAILABLE
    /// and charged once; without one it is never retried (a retry could charge twice).</summary>
    public string? RequestId { get; init; }

    /// <summary>Attribution carried to the usage records (at most 16 entries; keys of up to 64 of A-Z a-z 0-9 _ . : / -, values of up to 128 characters; docs/design.md#usage-labels).</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}
