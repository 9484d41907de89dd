using System.Globalization;

namespace QuotaSidecar.Testing.Processes;

/// <summary>The real sidecar executable on free ports (and optionally a Unix socket), for black-box tests.</summary>
public sealed class SidecarProcess : IAsyncDisposable
{
    private readonly AppProcess _app;

    private SidecarProcess(AppProcess app, int grpcPort, int httpPort, string? socket)
    {
        _app = app;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
        UnixSocket = socket;
    }

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public string? UnixSocket { get; }

    public ChildProcess Process => _app.Process;

    public int Pid => Process.Pid;

    public string TcpTarget => $"http://127.0.0.1:{GrpcPort}";

    public string Output => Process.Output;

    public bool HasExited => Process.HasExited;

    public int ExitCode => Process.ExitCode;

    /// <param name="settings">Environment variables of the sidecar (<c>Quota__...</c>), over the ports chosen here.</param>
    /// <param name="unixSocket">Also listen on a new Unix socket (<see cref="UnixSocket"/>).</param>
    /// <param name="environment">The ASP.NET Core environment.</param>
    /// <param name="waitFor">The endpoint that must answer 200 before this returns: <c>/readyz</c>, or <c>/healthz</c>
    /// for a sidecar expected never to be ready.</param>
    public static async Task<SidecarProcess> StartAsync(IDictionary<string, string>? settings = null, bool unixSocket = false, string environment = "Production", string waitFor = "/readyz")
    {
        var grpcPort = FreePort.Next();
        var httpPort = FreePort.Next();
        var socket = unixSocket ? Path.Combine(Path.GetTempPath(), $"quota-{Guid.NewGuid():N}.sock") : null;
        var all = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = environment,
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["Quota__Grpc__Port"] = grpcPort.ToString(CultureInfo.InvariantCulture),
            ["Quota__Http__Port"] = httpPort.ToString(CultureInfo.InvariantCulture),
        };
        if (socket is not null)
        {
            all["Quota__Grpc__UnixSocket"] = socket;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        var app = await AppProcess.StartAsync(Repository.SidecarDll, all, [], new Uri($"http://127.0.0.1:{httpPort}{waitFor}"));
        return new SidecarProcess(app, grpcPort, httpPort, socket);
    }

    /// <summary>SIGTERM, as Kubernetes sends it.</summary>
    public void Terminate() => Process.Terminate();

    /// <summary>SIGKILL: a crash, nothing settles.</summary>
    public void Crash() => Process.Kill();

    public Task<bool> WaitForExitAsync(TimeSpan timeout) => Process.WaitForExitAsync(timeout);

    /// <summary>SIGTERMs each sidecar still running and waits for all to exit; the seconds each took (NaN: did not exit).</summary>
    public static async Task<double[]> TerminateAllAsync(IEnumerable<SidecarProcess> sidecars, TimeSpan timeout)
    {
        var list = sidecars.Where(s => !s.HasExited).ToList();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        list.ForEach(s => s.Terminate());
        return await Task.WhenAll(list.Select(async s =>
            await s.WaitForExitAsync(timeout) ? System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds : double.NaN));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        if (UnixSocket is not null && File.Exists(UnixSocket))
        {
            File.Delete(UnixSocket);
        }
    }
}
