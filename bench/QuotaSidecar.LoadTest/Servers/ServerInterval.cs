namespace QuotaSidecar.LoadTest.Servers;

/// <summary>What a server reported about one measured run: its own handler time and its Redis calls.</summary>
/// <param name="HandlerCount">Handler invocations the server recorded in the run (null: it does not say).</param>
/// <param name="HandlerP50Us">Median handler time, microseconds (from buckets: the bucket's interpolated value).</param>
/// <param name="HandlerP99Us">99th percentile handler time, microseconds.</param>
/// <param name="RedisCalls">Redis calls the server made in the run (null: it has no Redis).</param>
internal sealed record ServerInterval(long? HandlerCount, double? HandlerP50Us, double? HandlerP99Us, long? RedisCalls);
