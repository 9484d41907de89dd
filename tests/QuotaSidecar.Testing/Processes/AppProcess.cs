using System.Net;

namespace QuotaSidecar.Testing.Processes;

/// <summary>A real app of this repository (<c>dotnet X.dll</c>, Production environment), started and ready once a URL
/// answers; killed on dispose.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    private AppProcess(ChildProcess process) => Process = process;

    public ChildProcess Process { get; }

    public string Name => Process.Name;

    public string Output => Process.Output;

    /// <summary>Starts <paramref name="dll"/> and waits until <paramref name="readyUrl"/> answers 2xx (over HTTP/2 when
    /// <paramref name="http2"/>: an h2c-only endpoint). Fails at once if the app exits first.</summary>
    public static async Task<AppProcess> StartAsync(string dll, IDictionary<string, string> environment, IEnumerable<string> args, Uri readyUrl, bool http2 = false)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var all = new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production", ["ASPNETCORE_ENVIRONMENT"] = "Production" };
        foreach (var (key, value) in environment)
        {
            all[key] = value;
        }

        var app = new AppProcess(ChildProcess.Start(Path.GetFileNameWithoutExtension(dll), "dotnet", [dll, .. args], all));
        try
        {
            await app.WaitReadyAsync(readyUrl, http2, TimeSpan.FromSeconds(60));
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private async Task WaitReadyAsync(Uri url, bool http2, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        if (http2)
        {
            http.DefaultRequestVersion = HttpVersion.Version20;
            http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        var ready = await Wait.UntilAsync(
            async () =>
            {
                if (Process.HasExited)
                {
                    throw new InvalidOperationException($"{Name} exited with {Process.ExitCode} before it was ready:\n{Output}");
                }

                try
                {
                    using var response = await http.GetAsync(url);
                    return response.IsSuccessStatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false; // not listening yet
                }
            },
            timeout,
            TimeSpan.FromMilliseconds(100));
        if (!ready)
        {
            throw new TimeoutException($"{Name} was not ready within {timeout}:\n{Output}");
        }
    }
}
