using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace QuotaSidecar.Testing.Processes;

/// <summary>
/// A redis-server child process on its own port on 127.0.0.1 and its own data directory, so a scenario can kill it
/// (SIGKILL), pause it (SIGSTOP/SIGCONT) and start it again on the same port and data (with AOF, it reloads).
/// </summary>
public sealed class RedisServer : IAsyncDisposable, IDisposable
{
    private readonly string[] _arguments;
    private readonly bool _ownsDirectory;
    private ChildProcess? _process;

    private RedisServer(int port, string directory, bool ownsDirectory, string[] arguments)
    {
        Port = port;
        Directory = directory;
        _ownsDirectory = ownsDirectory;
        _arguments = arguments;
    }

    public int Port { get; }

    /// <summary>Its data directory (AOF files), where its log (<c>redis-server.log</c>) goes too.</summary>
    public string Directory { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public int Pid => _process?.Pid ?? -1;

    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>The redis-server on PATH, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts a redis-server with no snapshots, in a new temporary directory (removed at dispose), with
    /// <paramref name="arguments"/> added (e.g. <c>--appendonly yes</c>).</summary>
    public static Task<RedisServer> StartAsync(params string[] arguments) => StartAsync(null, arguments, CancellationToken.None);

    /// <summary>Starts a redis-server with no snapshots and <paramref name="arguments"/> added, its data and log in
    /// <paramref name="directory"/> (kept), or in a new temporary directory (removed at dispose) when that is null.</summary>
    public static async Task<RedisServer> StartAsync(string? directory, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var owns = directory is null;
        directory ??= Path.Combine(Path.GetTempPath(), $"quota-redis-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var server = new RedisServer(FreePort.Next(), directory, owns, [.. arguments]);
        try
        {
            await server.RestartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again) on the same port and directory and waits until it answers PING.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        _process?.Dispose();
        string[] arguments =
        [
            "--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--dir", Directory,
            "--save", "", "--daemonize", "no", .. _arguments,
        ];
        var process = _process = ChildProcess.Start("redis-server", "redis-server", arguments, logDirectory: Directory);
        await Wait.UntilAsync(
            async () => !process.HasExited && await PingAsync(cancellationToken),
            TimeSpan.FromSeconds(15),
            () => $"redis-server on {Endpoint} did not answer PING within 15 s:\n{process.Tail()}",
            cancellationToken);
    }

    /// <summary>True if the server answers PING now.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
        var buffer = new byte[16];
        var n = await stream.ReadAsync(buffer, cancellationToken);
        return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
    }

    /// <summary>SIGKILL, then waits for the exit: whatever AOF has not fsynced is gone.</summary>
    public Task KillAsync() => _process?.KillAsync() ?? Task.CompletedTask;

    /// <summary>SIGSTOP: the server keeps its connections open and answers nothing.</summary>
    public void Pause() => _process?.Pause();

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => _process?.Resume();

    /// <summary>Runs <c>redis-cli</c> against this server; what it printed, trimmed.</summary>
    public async Task<string> CliAsync(params string[] args)
    {
        var run = await ProcessRun.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), .. args], timeout: TimeSpan.FromSeconds(10));
        return run.Stdout.Trim();
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Resume(); // a paused server must run to be killed cleanly
        }

        _process?.Dispose();
        _process = null;
        if (_ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
