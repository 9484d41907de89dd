namespace QuotaSidecar.Core.Grants;

/// <summary>
/// A request to add credits to an account: a purchase, top-up, promotion or recurring allowance.
/// <see cref="GrantId"/> is the idempotency key: the same id with the same fields returns the existing grant.
/// </summary>
public sealed record GrantSpec(
    string AccountId,
    string GrantId,
    long Amount,
    int Priority = GrantSpec.DefaultPriority,
    GrantCategory Category = GrantCategory.Paid,
    DateTimeOffset? EffectiveAt = null,
    DateTimeOffset? ExpiresAt = null,
    Recurrence? Recurrence = null,
    IReadOnlyDictionary<string, string>? Metadata = null)
{
    /// <summary>The priority of a grant that names none.</summary>
    public const int DefaultPriority = 50;

    /// <summary>Throws <see cref="QuotaException"/> (InvalidArgument) naming the first field out of range.</summary>
    public void Validate()
    {
        Validation.AccountId(AccountId, "account_id");
        Validation.RequiredId(GrantId, "grant_id");
        Validation.PositiveAmount(Amount, "amount");
        if (Priority is < 1 or > 100)
        {
            throw QuotaException.Invalid($"priority must be between 1 and 100 (got {Priority}); the gRPC API maps 0 to the default {DefaultPriority}");
        }

        if (!Enum.IsDefined(Category))
        {
            throw QuotaException.Invalid($"category must be PAID or PROMOTIONAL (got {(int)Category})");
        }

        if (EffectiveAt is { } from && ExpiresAt is { } to && to <= from)
        {
            throw QuotaException.Invalid($"expires_at ({to:O}) must be after effective_at ({from:O})");
        }

        if (Recurrence is { } r)
        {
            if (!Enum.IsDefined(r.Period))
            {
                throw QuotaException.Invalid($"recurrence.period must be DAILY, WEEKLY, MONTHLY, HOURLY or MINUTE (got {(int)r.Period})");
            }

            Validation.NonNegativeAmount(r.RolloverMax, "recurrence.rollover_max");
        }

        if (Metadata is { Count: > 16 })
        {
            throw QuotaException.Invalid($"metadata may have at most 16 entries (got {Metadata.Count})");
        }

        if (Metadata is not null)
        {
            foreach (var (key, value) in Metadata)
            {
                if (key.Length is 0 or > 64 || value.Length > 256)
                {
                    throw QuotaException.Invalid($"metadata keys must be 1-64 characters and values at most 256 (key '{Truncate(key)}')");
                }
            }
        }
    }

    /// <summary>True when <paramref name="other"/> asks for the same grant (the idempotency comparison).</summary>
    public bool SameGrantAs(GrantSpec other)
    {
        if (AccountId != other.AccountId || GrantId != other.GrantId || Amount != other.Amount
            || Priority != other.Priority || Category != other.Category
            || ExpiresAt != other.ExpiresAt || Recurrence != other.Recurrence)
        {
            return false;
        }

        // An unset effective time means "now", which differs between retries: only explicit values must match.
        if (EffectiveAt is not null && other.EffectiveAt is not null && EffectiveAt != other.EffectiveAt)
        {
            return false;
        }

        var a = Metadata ?? new Dictionary<string, string>();
        var b = other.Metadata ?? new Dictionary<string, string>();
        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (var (key, value) in a)
        {
            if (!b.TryGetValue(key, out var v) || v != value)
            {
                return false;
            }
        }

        return true;
    }

    private static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "…";
}
