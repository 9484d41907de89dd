namespace QuotaSidecar.Client;

/// <summary>Optional settings of one <see cref="IQuotaClient.ReserveAsync"/>.</summary>
public sealed class ReserveOptions
{
    /// <summary>The hold's id and idempotency key (at most 128 printable ASCII characters). Null: the client makes a
    /// unique one, so the call can be retried safely.</summary>
    public string? ReservationId { get; init; }

    /// <summary>How long the hold lives if neither committed nor released. Null: <see cref="QuotaClientOptions.HoldTtl"/>.</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Attribution carried to the usage records (at most 16 entries; keys of up to 64 of A-Z a-z 0-9 _ . : / -, values of up to 128 characters; docs/design.md#usage-labels), e.g. the operation.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}
