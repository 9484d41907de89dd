using System.Globalization;

namespace QuotaSidecar.Core.Events;

/// <summary>A position in the global event stream: <c>&lt;ms&gt;-&lt;n&gt;</c>, as Redis stream ids are, in both
/// ledgers. Ordered by ms, then n.</summary>
public readonly record struct EventCursor(long Milliseconds, long Sequence) : IComparable<EventCursor>
{
    /// <summary>Before every event.</summary>
    public static EventCursor Zero => default;

    /// <summary>Parses a cursor given by a caller; empty or null is <see cref="Zero"/> (before everything).</summary>
    public static EventCursor Parse(string? s, string field)
    {
        if (string.IsNullOrEmpty(s))
        {
            return Zero;
        }

        var dash = s.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0
            && long.TryParse(s.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            && long.TryParse(s.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return new EventCursor(ms, n);
        }

        throw new QuotaException(QuotaError.InvalidArgument, $"{field} must be an event cursor like \"1767225600000-0\" (got '{s}')");
    }

    /// <inheritdoc />
    public int CompareTo(EventCursor other)
    {
        var c = Milliseconds.CompareTo(other.Milliseconds);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }

    /// <summary>The cursor as callers see it: <c>&lt;ms&gt;-&lt;n&gt;</c>.</summary>
    public override string ToString() =>
        Milliseconds.ToString(CultureInfo.InvariantCulture) + "-" + Sequence.ToString(CultureInfo.InvariantCulture);
}
