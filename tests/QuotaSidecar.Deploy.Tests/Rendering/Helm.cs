using System.Diagnostics;
using System.Text;
using QuotaSidecar.Testing;

namespace QuotaSidecar.Deploy.Tests.Rendering;

/// <summary>
/// Runs the helm that scripts/check-deploy.sh installs at .tools/helm/helm (or the one QUOTA_HELM
/// names). A missing helm fails the tests: deployment checks that silently skip prove nothing.
/// </summary>
internal static class Helm
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static string Executable
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("QUOTA_HELM");
            return string.IsNullOrEmpty(fromEnvironment)
                ? Path.Combine(Repository.Root, ".tools", "helm", "helm")
                : fromEnvironment;
        }
    }

    /// <summary>Runs helm with <paramref name="arguments"/> in the repository root; returns its exit code, stdout and stderr.</summary>
    public static HelmResult Run(params string[] arguments)
    {
        var executable = Executable;
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"helm not found at {executable}. Run scripts/check-deploy.sh first: it installs helm there (or set QUOTA_HELM to a helm 3 binary).");
        }

        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Keep helm's cache and config inside .tools, as the script does, not in the user's home.
        var home = Path.Combine(Repository.Root, ".tools", "helm-home");
        start.Environment["HELM_CACHE_HOME"] = Path.Combine(home, "cache");
        start.Environment["HELM_CONFIG_HOME"] = Path.Combine(home, "config");
        start.Environment["HELM_DATA_HOME"] = Path.Combine(home, "data");

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"could not start {executable}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { stdout.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { stderr.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"helm {string.Join(' ', arguments)} did not finish within {Timeout.TotalSeconds} s");
        }

        process.WaitForExit(); // flushes the asynchronous readers
        return new HelmResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
