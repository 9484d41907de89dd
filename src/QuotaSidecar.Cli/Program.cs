using System.CommandLine;
using QuotaSidecar.Cli.Commands;
using QuotaSidecar.Cli.Connection;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli;

/// <summary>quotactl's entry point.</summary>
internal static class Program
{
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>Runs one command line and returns its exit code (<see cref="ExitCodes"/>); tests call this in-process.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) =>
        RunAsync(args, stdout, stderr, CliEnvironment.FromProcess());

    /// <summary>As <see cref="RunAsync(string[], TextWriter, TextWriter)"/>, with the environment and clock given.</summary>
    internal static async Task<int> RunAsync(
        string[] args,
        TextWriter stdout,
        TextWriter stderr,
        CliEnvironment environment,
        CancellationToken cancellationToken = default)
    {
        var parseResult = QuotactlCommand.Create(environment).Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            return UsageError.Write(parseResult, stderr);
        }

        var configuration = new InvocationConfiguration { Output = stdout, Error = stderr };
        return await parseResult.InvokeAsync(configuration, cancellationToken);
    }
}
