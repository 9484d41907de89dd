namespace QuotaSidecar.LoadTest.Plan;

/// <summary>Runs that share one set of servers; <see cref="RedisDelayMs"/> &gt; 0 puts the delay proxy in front of Redis.</summary>
internal sealed record RunGroup(double RedisDelayMs, IReadOnlyList<RunSpec> Runs);
