using System.Diagnostics;
using System.Text;

namespace QuotaSidecar.Testing.Processes;

/// <summary>Runs a short-lived process to completion (with a timeout) and keeps what it printed.</summary>
public sealed record ProcessRun(int ExitCode, string Stdout, string Stderr)
{
    public static Task<ProcessRun> DotnetAsync(string dll, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null) =>
        RunAsync("dotnet", [dll, .. args], env, timeout);

    public static async Task<ProcessRun> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', info.ArgumentList)} did not finish in time");
        }

        return new ProcessRun(process.ExitCode, await stdout, await stderr);
    }

    public override string ToString() => new StringBuilder()
        .Append("exit ").Append(ExitCode).AppendLine()
        .Append("stdout: ").AppendLine(Stdout)
        .Append("stderr: ").AppendLine(Stderr)
        .ToString();
}
