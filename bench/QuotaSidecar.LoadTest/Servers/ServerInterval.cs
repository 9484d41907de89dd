namespace QuotaSidecar.LoadTest.Servers;

/// <summary>What a server reported about one measured slice: its own handler time, its Redis calls and the CPU it used.</summary>
/// <param name="Handler">Handler-time histogram of the slice (null: the server exposes none).</param>
/// <param name="RedisCalls">Redis calls the server made in the slice (null: it has no Redis).</param>
/// <param name="CpuSeconds">User + system CPU time the server process used in the slice (null: unknown).</param>
internal sealed record ServerInterval(HandlerHistogram? Handler, long? RedisCalls, double? CpuSeconds);
