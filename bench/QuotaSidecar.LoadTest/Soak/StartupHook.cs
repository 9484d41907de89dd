using System.Globalization;

// Loaded into the sidecar process by the soak mode through DOTNET_STARTUP_HOOKS (the runtime looks for a type named
// StartupHook in no namespace). It exists because the sidecar's /metrics exports only its own meters, not the
// runtime's GC figures: this writes them to the file named by QUOTA_SOAK_GC_PROBE once a second, so the tool can read
// the GC heap from outside without a change to the product. It touches only the base library, so loading this
// assembly into the sidecar pulls in none of the tool's own dependencies.
#pragma warning disable CA1050 // the runtime requires the hook type to be outside any namespace
internal static class StartupHook
#pragma warning restore CA1050
{
    private static Timer? _timer;

    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable("QUOTA_SOAK_GC_PROBE");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        // The timer is kept in a static field so it is never collected; one small write a second is all it costs.
        _timer = new Timer(_ => Write(path), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    private static void Write(string path)
    {
        try
        {
            var info = GC.GetGCMemoryInfo(GCKind.Any);
            var line = string.Create(
                CultureInfo.InvariantCulture,
                $"{info.HeapSizeBytes} {info.TotalCommittedBytes} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} {GC.GetTotalPauseDuration().Ticks}");
            // Written aside and renamed over the old file, so a reader never sees half a line.
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, line);
            File.Move(temporary, path, overwrite: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
