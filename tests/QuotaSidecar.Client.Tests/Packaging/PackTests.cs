using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using QuotaSidecar.Client.Tests.Infrastructure;

namespace QuotaSidecar.Client.Tests.Packaging;

/// <summary>The client libraries pack into NuGet packages with their metadata, XML docs and README.</summary>
public sealed class PackTests
{
    [Theory]
    [InlineData("QuotaSidecar.Client", "QuotaSidecar.Api")]
    [InlineData("QuotaSidecar.Client.AspNetCore", "QuotaSidecar.Client")]
    public async Task Dotnet_pack_makes_a_package_with_docs_readme_and_dependencies(string project, string dependency)
    {
        var output = Directory.CreateTempSubdirectory("quota-pack-");
        try
        {
            var csproj = Path.Combine(RepositoryPaths.Root, "src", project, project + ".csproj");
            var (exit, log) = await RunAsync("dotnet", "pack", csproj, "-c", RepositoryPaths.Configuration, "--no-build", "--no-restore", "-o", output.FullName, "-nologo");
            Assert.True(exit == 0, log);

            var package = Assert.Single(output.GetFiles($"{project}.1.0.0.nupkg"));
            using var zip = ZipFile.OpenRead(package.FullName);
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains($"lib/net10.0/{project}.dll", entries);
            Assert.Contains($"lib/net10.0/{project}.xml", entries);
            Assert.Contains("README.md", entries);

            await using var nuspecStream = zip.GetEntry($"{project}.nuspec")!.Open();
            var nuspec = XDocument.Load(nuspecStream);
            XNamespace ns = nuspec.Root!.Name.Namespace;
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal(project, metadata.Element(ns + "id")!.Value);
            Assert.True(metadata.Element(ns + "description")!.Value.Length > 60, "the package needs a real description");
            Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
            Assert.Contains(metadata.Descendants(ns + "dependency"), d => (string?)d.Attribute("id") == dependency);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static async Task<(int Exit, string Log)> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
