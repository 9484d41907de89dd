namespace QuotaSidecar.Tests.Infrastructure;

/// <summary>
/// A directory laid out as the kubelet mounts a ConfigMap: the file is a symlink <c>settings.json → ..data/settings.json</c>,
/// <c>..data</c> a symlink to a timestamped directory, and an update writes a new directory and renames a new
/// <c>..data</c> link over the old one (atomic). The file itself is never written, so a watch on it sees nothing.
/// </summary>
internal sealed class ConfigMapDirectory : IDisposable
{
    public const string FileName = "settings.json";
    private int _version;

    public ConfigMapDirectory(string json)
    {
        Directory = Path.Combine(Path.GetTempPath(), $"quota-configmap-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        Update(json);
        File.CreateSymbolicLink(FilePath, Path.Combine("..data", FileName));
    }

    public string Directory { get; }

    /// <summary>The path the sidecar is given (Quota:SettingsFile).</summary>
    public string FilePath => Path.Combine(Directory, FileName);

    /// <summary>Publishes a new text the way the kubelet does.</summary>
    public void Update(string json)
    {
        var version = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss}.{++_version}";
        var versionDirectory = Path.Combine(Directory, version);
        System.IO.Directory.CreateDirectory(versionDirectory);
        File.WriteAllText(Path.Combine(versionDirectory, FileName), json);
        var next = Path.Combine(Directory, "..data_tmp");
        File.CreateSymbolicLink(next, version);
        Rename(next, Path.Combine(Directory, "..data")); // rename(2) over the old link: the swap is atomic
    }

    // File.Move and Directory.Move refuse a link to a directory as the source; mv -T is rename(2), as the kubelet does.
    private static void Rename(string from, string to)
    {
        using var mv = System.Diagnostics.Process.Start("mv", ["-T", from, to]);
        if (!mv.WaitForExit(TimeSpan.FromSeconds(10)) || mv.ExitCode != 0)
        {
            throw new IOException($"mv -T {from} {to} failed");
        }
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
