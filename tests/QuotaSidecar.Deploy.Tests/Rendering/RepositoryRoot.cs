namespace QuotaSidecar.Deploy.Tests.Rendering;

/// <summary>The checkout's root: the nearest directory above the test binaries that holds QuotaSidecar.sln.</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "QuotaSidecar.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException(
            $"QuotaSidecar.sln not found in any directory above {AppContext.BaseDirectory}: run the tests from a checkout of the repository.");
    }
}
