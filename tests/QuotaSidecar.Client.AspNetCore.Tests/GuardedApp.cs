using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using QuotaSidecar.Client.Tests.Infrastructure;

namespace QuotaSidecar.Client.AspNetCore.Tests;

/// <summary>
/// A service under test in memory (TestServer) with the quota interceptor and endpoint filter, whose quota client
/// talks to a real sidecar process over TCP. Shared by the interceptor and filter tests (one sidecar).
/// </summary>
public sealed class GuardedApp : IAsyncLifetime
{
    private WebApplication? _app;

    public SidecarRun Sidecar { get; } = new();

    public GrpcChannel? Channel { get; private set; }

    public HttpClient? Http { get; private set; }

    public async Task InitializeAsync()
    {
        await Sidecar.InitializeAsync();
        try
        {
            await StartAppAsync();
        }
        catch
        {
            await DisposeAsync(); // xunit does not dispose a fixture whose start failed: no orphaned sidecar
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await Sidecar.DisposeAsync();
    }

    private async Task StartAppAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddQuotaClient(o =>
        {
            o.Address = Sidecar.TcpAddress;
            o.Timeout = TimeSpan.FromSeconds(15); // cold processes share two CPUs here
        });
        builder.Services.AddQuotaAuthorization(o =>
        {
            o.Costs["/tests.Reports/Priced"] = 7;
            o.Costs["POST /exports/{name}"] = 20;
        });
        builder.Services.AddGrpc(o => o.Interceptors.Add<QuotaServerInterceptor>());
        _app = builder.Build();
        _app.MapGrpcService<TestReports>();
        _app.MapPost("/exports/{name}", (string name) => Results.Ok(new { export = name })).RequireQuota();
        _app.MapGet("/cheap", () => "cheap").RequireQuota(2);
        _app.MapGet("/attributed", [QuotaCost(4)] () => "attributed").RequireQuota();
        _app.MapGet("/unpriced", () => "unpriced").RequireQuota();
        _app.MapGet("/throws", string () => throw new InvalidOperationException("the handler crashed")).RequireQuota(6);
        _app.MapGet("/status500", () => Results.StatusCode(500)).RequireQuota(6);
        _app.MapGet("/notfound", () => Results.NotFound()).RequireQuota(6);
        _app.MapGet("/measured", async (HttpContext http) =>
        {
            await http.GetQuotaHold()!.CommitAsync(1);
            return "measured";
        }).RequireQuota(6);
        await _app.StartAsync();
        var server = _app.GetTestServer();
        Channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = server.CreateHandler() });
        Http = server.CreateClient();
    }
}
