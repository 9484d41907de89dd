namespace QuotaSidecar.LoadTest;

/// <summary>Where the tool finds the servers it starts and where it writes.</summary>
internal sealed record ToolPaths(string RepositoryRoot, string BaselinesDll, string? SidecarDll, string SidecarMissing, string RunDirectory, string ResultsDirectory)
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <param name="sidecarOverride">--sidecar PATH, or null for the repository's Release build.</param>
    /// <param name="resultsOverride">--out DIR, or null for bench/results.</param>
    public static ToolPaths Resolve(string? sidecarOverride, string? resultsOverride)
    {
        var root = FindRoot(AppContext.BaseDirectory) ?? FindRoot(Directory.GetCurrentDirectory())
            ?? throw new InvalidOperationException("cannot find the repository (QuotaSidecar.sln) above " + AppContext.BaseDirectory);
        var baselines = Path.Combine(root, "bench", "QuotaSidecar.Baselines", "bin", Configuration, "net10.0", "QuotaSidecar.Baselines.dll");
        if (!File.Exists(baselines))
        {
            throw new InvalidOperationException($"{baselines} is missing: build bench/QuotaSidecar.LoadTest with -c {Configuration} (it builds the baselines)");
        }

        // The sidecar always runs as built in Release, whatever configuration the tool itself was built in.
        var sidecar = sidecarOverride ?? Path.Combine(root, "src", "QuotaSidecar", "bin", "Release", "net10.0", "QuotaSidecar.dll");
        var missing = File.Exists(sidecar) ? "" : $"{sidecar} not found (dotnet build -c Release src/QuotaSidecar, or pass --sidecar PATH)";
        var run = Path.Combine(Path.GetTempPath(), $"quota-loadtest-{Environment.ProcessId}");
        Directory.CreateDirectory(run);
        return new ToolPaths(root, baselines, missing.Length == 0 ? sidecar : null, missing, run, resultsOverride ?? Path.Combine(root, "bench", "results"));
    }

    private static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "QuotaSidecar.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
