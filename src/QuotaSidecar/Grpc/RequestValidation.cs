using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Grpc;

/// <summary>Field rules of the gRPC API beyond the engine's own (labels, durations, timestamps, enums).</summary>
internal static class RequestValidation
{
    /// <summary>Validates usage labels and returns their canonical form (docs/design.md#usage-labels); null when there
    /// are none, without allocating.</summary>
    public static string? Labels(MapField<string, string> labels, string field) =>
        labels.Count == 0 ? null : UsageLabels.Canonical(labels, field);

    /// <summary>A protobuf Duration as a TimeSpan; null when unset. Rejects malformed and negative values.</summary>
    public static TimeSpan? Ttl(Duration? ttl)
    {
        if (ttl is null)
        {
            return null;
        }

        if (ttl.Seconds < 0 || ttl.Nanos < 0 || ttl.Nanos >= 1_000_000_000 || ttl.Seconds > 315_576_000_000)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"ttl must be a positive duration (got {ttl.Seconds}s {ttl.Nanos}ns)");
        }

        var ticks = ttl.Seconds > TimeSpan.MaxValue.TotalSeconds / 2 ? long.MaxValue : (ttl.Seconds * TimeSpan.TicksPerSecond) + (ttl.Nanos / 100);
        return TimeSpan.FromTicks(ticks);
    }

    /// <summary>A protobuf Timestamp as a DateTimeOffset; null when unset.</summary>
    public static DateTimeOffset? Time(Timestamp? timestamp, string field)
    {
        if (timestamp is null)
        {
            return null;
        }

        try
        {
            return timestamp.ToDateTimeOffset();
        }
        catch (InvalidOperationException)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"{field} is not a valid timestamp (seconds {timestamp.Seconds}, nanos {timestamp.Nanos})");
        }
    }

    /// <summary>A proto enum value that must be one of the named ones (or unspecified, mapped to the default).</summary>
    public static TTarget Enum<TSource, TTarget>(TSource value, TTarget unspecified, string field)
        where TSource : struct, System.Enum
        where TTarget : struct, System.Enum
    {
        var raw = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
        if (raw == 0)
        {
            return unspecified;
        }

        if (!System.Enum.IsDefined(value))
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"{field} has an unknown value {raw}");
        }

        return (TTarget)System.Enum.ToObject(typeof(TTarget), raw);
    }
}
