using System.Globalization;

namespace QuotaSidecar.LoadTest.Soak;

/// <summary>
/// The sidecar's GC figures as its <see cref="StartupHook"/> last wrote them (at most ~1 s old).
/// </summary>
/// <param name="HeapBytes">Heap size after the last GC, any generation (live objects plus fragmentation).</param>
/// <param name="CommittedBytes">Memory the GC has committed from the OS.</param>
/// <param name="PauseTicks">Total time the process has been paused for GCs since it started, TimeSpan ticks.</param>
internal sealed record GcReading(long HeapBytes, long CommittedBytes, int Gen0, int Gen1, int Gen2, long PauseTicks)
{
    /// <summary>The last reading in <paramref name="path"/>, or null when there is none yet (or it cannot be read).</summary>
    public static GcReading? Read(string path)
    {
        try
        {
            var fields = File.ReadAllText(path).Split(' ');
            if (fields.Length < 6)
            {
                return null;
            }

            return new GcReading(
                long.Parse(fields[0], CultureInfo.InvariantCulture),
                long.Parse(fields[1], CultureInfo.InvariantCulture),
                int.Parse(fields[2], CultureInfo.InvariantCulture),
                int.Parse(fields[3], CultureInfo.InvariantCulture),
                int.Parse(fields[4], CultureInfo.InvariantCulture),
                long.Parse(fields[5], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }
}
