namespace QuotaSidecar.Core;

/// <summary>The field rules shared by the engine, the ledgers and the gRPC services.</summary>
public static class Validation
{
    /// <summary>The largest amount accepted anywhere: 2^53, so sums of amounts stay exact in Lua doubles too.</summary>
    public const long MaxAmount = 1L << 53;

    /// <summary>The most credits an account may be granted in total: 2^53, so every total stays exact in the Redis
    /// ledger's Lua doubles and far from long overflow.</summary>
    public const long MaxAccountTotal = 1L << 53;

    /// <summary>The longest account, reservation, request or grant id.</summary>
    public const int MaxIdLength = 128;

    /// <summary>Account ids: 1–128 characters of <c>[A-Za-z0-9._:-]</c>.</summary>
    public static void AccountId(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw QuotaException.Invalid($"{field} is required (1-{MaxIdLength} characters of [A-Za-z0-9._:-])");
        }

        if (value.Length > MaxIdLength)
        {
            throw QuotaException.Invalid($"{field} must be at most {MaxIdLength} characters (got {value.Length})");
        }

        if (value.AsSpan().IndexOfAnyExcept(IdChars) is var bad and >= 0)
        {
            throw QuotaException.Invalid($"{field} may contain only [A-Za-z0-9._:-] (found U+{(int)value[bad]:X4})");
        }
    }

    /// <summary>Optional ids (reservation, request): empty, or at most 128 printable ASCII characters.</summary>
    public static void OptionalId(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        RequiredId(value, field);
    }

    /// <summary>Required ids (grant ids, reservation ids in Commit/Release): 1–128 printable ASCII characters.</summary>
    public static void RequiredId(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw QuotaException.Invalid($"{field} is required");
        }

        if (value.Length > MaxIdLength)
        {
            throw QuotaException.Invalid($"{field} must be at most {MaxIdLength} characters (got {value.Length})");
        }

        if (value.AsSpan().IndexOfAnyExceptInRange('!', '~') is var bad and >= 0)
        {
            throw QuotaException.Invalid($"{field} may contain only printable ASCII without spaces (found U+{(int)value[bad]:X4})");
        }
    }

    /// <summary>Amounts that must be spent or granted: 1..2^53.</summary>
    public static void PositiveAmount(long value, string field)
    {
        if (value <= 0 || value > MaxAmount)
        {
            throw QuotaException.Invalid($"{field} must be between 1 and {MaxAmount} (got {value})");
        }
    }

    /// <summary>Amounts that may be zero: 0..2^53.</summary>
    public static void NonNegativeAmount(long value, string field)
    {
        if (value < 0 || value > MaxAmount)
        {
            throw QuotaException.Invalid($"{field} must be between 0 and {MaxAmount} (got {value})");
        }
    }

    // Vectorized: an id is checked in a few instructions on the hot path.
    private static readonly System.Buffers.SearchValues<char> IdChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-");
}
