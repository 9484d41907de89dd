using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace QuotaSidecar.Testing.Processes;

/// <summary>
/// A long-running process a test or the load tool started. Its output is kept (in memory, or in a log file when a
/// directory is given, for long runs); it is killed with its whole tree when disposed, and every live one is killed
/// by <see cref="KillAll"/> (the load tool calls it when it exits, is interrupted or crashes).
/// </summary>
public sealed class ChildProcess : IDisposable, IAsyncDisposable
{
    private static readonly List<ChildProcess> Live = [];
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly StreamWriter? _log;

    private ChildProcess(string name, Process process, StreamWriter? log, string? logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }

    /// <summary>The file the output goes to, or null when it is kept in memory.</summary>
    public string? LogPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process printed so far (stdout and stderr, by line).</summary>
    public string Output => LogPath is null ? string.Join('\n', _output) : ReadLog();

    /// <summary>Starts <paramref name="fileName"/>; its output goes to <c>name.log</c> in <paramref name="logDirectory"/>
    /// (appended, so a restarted process continues the file), or to memory when that is null.</summary>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? logDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        string? logPath = null;
        StreamWriter? log = null;
        if (logDirectory is not null)
        {
            Directory.CreateDirectory(logDirectory);
            logPath = Path.Combine(logDirectory, name + ".log");
            log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(name, process, log, logPath);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        try
        {
            if (!process.Start())
            {
                throw new InvalidOperationException($"could not start {fileName}");
            }
        }
        catch
        {
            log?.Dispose();
            process.Dispose();
            throw;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (Live)
        {
            Live.Add(child);
        }

        return child;
    }

    /// <summary>The last lines of the output, for error messages.</summary>
    public string Tail(int lines = 20)
    {
        if (_process.HasExited)
        {
            _process.WaitForExit(2000); // lets the last output lines arrive
        }

        var all = Output.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>SIGTERM, as Kubernetes sends it.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>SIGSTOP: the process stops answering but keeps its connections open.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal("CONT");

    /// <summary>SIGKILL of the whole tree: a crash, nothing is flushed. The exit code and output stay readable.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <summary><see cref="Kill"/>, then waits for the exit.</summary>
    public async Task KillAsync()
    {
        Kill();
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>True if the process exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Resident memory of the process now, in MiB (VmRSS of /proc/pid/status); null where unavailable.</summary>
    public double? RssMiB() => RssMiB(Pid);

    /// <summary>Resident memory of process <paramref name="pid"/> now, in MiB (VmRSS of /proc/pid/status); null where unavailable.</summary>
    public static double? RssMiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                    return kb / 1024.0;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>User + system CPU time the process has used so far, seconds (/proc/pid/stat); null where unavailable.</summary>
    public double? CpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces: state is field 3,
            // utime field 14, stime field 15, in clock ticks (USER_HZ, 100 on Linux).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Kills every child still running. Safe to call from any thread, more than once.</summary>
    public static void KillAll()
    {
        ChildProcess[] live;
        lock (Live)
        {
            live = [.. Live];
            Live.Clear();
        }

        foreach (var child in live)
        {
            child.Dispose();
        }
    }

    public void Dispose()
    {
        lock (Live)
        {
            Live.Remove(this);
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Never started or already gone.
        }
        finally
        {
            _process.Dispose();
            if (_log is not null)
            {
                lock (_log)
                {
                    _log.Dispose();
                }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (_log is null)
        {
            _output.Enqueue(line);
            return;
        }

        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private string ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogPath!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().TrimEnd('\n');
        }
        catch (IOException)
        {
            return "";
        }
    }
}
