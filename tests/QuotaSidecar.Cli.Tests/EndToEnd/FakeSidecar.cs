using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QuotaSidecar.Cli.Tests.EndToEnd;

/// <summary>
/// A real Kestrel gRPC server with the canned services, listening on 127.0.0.1 (a free port) and on a Unix socket:
/// the CLI's channel, HTTP/2, metadata and error paths run for real, only the answers are fake.
/// </summary>
public sealed class FakeSidecar : IAsyncLifetime
{
    private static readonly TimeSpan StartStopTimeout = TimeSpan.FromSeconds(30);
    private readonly string _socketPath = Path.Combine(Path.GetTempPath(), $"quotactl-{Guid.NewGuid():N}.sock");
    private WebApplication? _app;

    /// <summary>The TCP target, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public string TcpTarget { get; private set; } = string.Empty;

    /// <summary>The Unix socket target, <c>unix:/tmp/quotactl-....sock</c>.</summary>
    public string SocketTarget => "unix:" + _socketPath;

    internal CallRecorder Recorder { get; } = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // HTTP/2 only: gRPC without TLS has no ALPN to negotiate it.
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.ListenUnixSocket(_socketPath, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(Recorder);
        _app = builder.Build();
        _app.MapGrpcService<FakeQuotaService>();
        _app.MapGrpcService<FakeQuotaAdminService>();
        await _app.StartAsync().WaitAsync(StartStopTimeout);

        var addresses = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        TcpTarget = addresses.Single(address => address.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(StartStopTimeout);
            await _app.DisposeAsync();
        }

        File.Delete(_socketPath);
    }
}
