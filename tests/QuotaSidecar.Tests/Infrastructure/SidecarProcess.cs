using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace QuotaSidecar.Tests.Infrastructure;

/// <summary>The real sidecar executable on free ports (and optionally a Unix socket), for black-box tests.</summary>
public sealed class SidecarProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private SidecarProcess(Process process, int grpcPort, int httpPort, string? socket)
    {
        _process = process;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
        UnixSocket = socket;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public string? UnixSocket { get; }

    public int Pid => _process.Id;

    public string TcpTarget => $"http://127.0.0.1:{GrpcPort}";

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <param name="waitFor">The endpoint that must answer 200 before this returns: <c>/readyz</c>, or <c>/healthz</c>
    /// for a sidecar expected never to be ready.</param>
    public static async Task<SidecarProcess> StartAsync(IDictionary<string, string>? settings = null, bool unixSocket = false, string environment = "Production", string waitFor = "/readyz")
    {
        var grpcPort = FreePort();
        var httpPort = FreePort();
        var socket = unixSocket ? Path.Combine(Path.GetTempPath(), $"quota-{Guid.NewGuid():N}.sock") : null;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Repository.SidecarDll);
        info.Environment["DOTNET_ENVIRONMENT"] = environment;
        info.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        info.Environment["Quota__Grpc__Port"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Quota__Http__Port"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (socket is not null)
        {
            info.Environment["Quota__Grpc__UnixSocket"] = socket;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var sidecar = new SidecarProcess(Process.Start(info)!, grpcPort, httpPort, socket);
        await sidecar.WaitReadyAsync(waitFor, TimeSpan.FromSeconds(60));
        return sidecar;
    }

    /// <summary>SIGTERM, as Kubernetes sends it.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>SIGKILL: a crash, nothing settles.</summary>
    public void Crash() => _process.Kill(entireProcessTree: true);

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

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        if (UnixSocket is not null && File.Exists(UnixSocket))
        {
            File.Delete(UnixSocket);
        }
    }

    private async Task WaitReadyAsync(string path, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the sidecar exited with {_process.ExitCode} before it was ready:\n{Output}");
            }

            try
            {
                var response = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}{path}"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the sidecar was not ready within {timeout}:\n{Output}");
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
