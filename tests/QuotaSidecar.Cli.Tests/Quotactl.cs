using QuotaSidecar.Cli.Connection;

namespace QuotaSidecar.Cli.Tests;

/// <summary>Runs quotactl's real entry point in-process and captures what it printed.</summary>
internal static class Quotactl
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs with an empty environment, so the machine's QUOTA_* variables cannot leak into a test.</summary>
    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var cliEnvironment = new CliEnvironment(name => environment.GetValueOrDefault(name), TimeProvider.System);
        var exitCode = await Program.RunAsync(args, stdout, stderr, cliEnvironment).WaitAsync(RunTimeout);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }
}
