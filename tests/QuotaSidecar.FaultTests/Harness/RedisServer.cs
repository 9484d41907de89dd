using System.Diagnostics;
using System.Globalization;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.FaultTests.Harness;

/// <summary>
/// A redis-server child process of the test (its own port on 127.0.0.1 and its own directory), so a scenario can
/// kill it, pause it and start it again on the same port and data directory.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string[] _extraArgs;
    private Process? _process;

    private RedisServer(int port, string dir, string[] extraArgs)
    {
        Port = port;
        Directory = dir;
        _extraArgs = extraArgs;
    }

    public int Port { get; }

    public string Directory { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public int Pid => _process?.Id ?? -1;

    public static async Task<RedisServer> StartAsync(params string[] extraArgs)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"quota-fault-redis-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(dir);
        var server = new RedisServer(SidecarProcess.FreePort(), dir, extraArgs);
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts the server (again) on the same port and directory; with AOF it reloads its data.</summary>
    public async Task RestartAsync()
    {
        var info = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--dir", Directory, "--save", "" }.Concat(_extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if ((await CliAsync("PING")).Contains("PONG", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"redis-server on {Endpoint} did not answer PING within 15 s");
    }

    /// <summary>SIGKILL: whatever AOF has not fsynced is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }
    }

    public void Stop() => Signal("STOP");

    public void Continue() => Signal("CONT");

    public async Task<string> CliAsync(params string[] args)
    {
        var run = await ProcessRun.RunAsync("redis-cli", new[] { "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture) }.Concat(args), timeout: TimeSpan.FromSeconds(10));
        return run.Stdout.Trim();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            Signal("CONT");
            await KillAsync();
        }

        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }
}
