namespace QuotaSidecar.Redis;

/// <summary>Times travel to and from the scripts as milliseconds since the Unix epoch (UTC).</summary>
internal static class UnixMilliseconds
{
    public static long From(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static long From(TimeSpan span) => (long)Math.Ceiling(span.TotalMilliseconds);

    public static DateTimeOffset ToTime(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
}
