using System.IO.Compression;
using System.Xml.Linq;

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
            var csproj = Path.Combine(Repository.Root, "src", project, project + ".csproj");
            var run = await ProcessRun.RunAsync(
                "dotnet", ["pack", csproj, "-c", Repository.Configuration, "--no-build", "--no-restore", "-o", output.FullName, "-nologo"], timeout: TimeSpan.FromMinutes(3));
            Assert.True(run.ExitCode == 0, run.ToString());

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
}
