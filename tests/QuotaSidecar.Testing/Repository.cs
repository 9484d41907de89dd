namespace QuotaSidecar.Testing;

/// <summary>Paths in the repository and of the built executables (same configuration as the build running this).</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    public static string SidecarDll => Built("src/QuotaSidecar", "QuotaSidecar.dll");

    public static string QuotactlDll => Built("src/QuotaSidecar.Cli", "quotactl.dll");

    public static string Built(string project, string dll)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build the solution first (./test.sh does)");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "QuotaSidecar.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("QuotaSidecar.sln not found above " + AppContext.BaseDirectory);
    }
}
