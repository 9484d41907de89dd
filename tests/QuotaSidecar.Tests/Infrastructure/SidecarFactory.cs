using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Tests.Infrastructure;

/// <summary>The real sidecar host in memory (TestServer), reached over a real gRPC channel.</summary>
public sealed class SidecarFactory : WebApplicationFactory<Program>
{
    public const string AdminToken = "test-admin-token-0123456789";

    private readonly Dictionary<string, string?> _settings = new()
    {
        ["Quota:Admin:Token"] = AdminToken,
        ["Quota:Seed:Accounts:0:AccountId"] = "seeded",
        ["Quota:Seed:Accounts:0:Credits"] = "1000",
        ["Quota:Seed:Accounts:0:LowBalanceThreshold"] = "100",
    };

    private GrpcChannel? _channel;

    public SidecarFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(
        Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });

    public Quota.QuotaClient Quota => new(Channel);

    public QuotaAdmin.QuotaAdminClient Admin => new(Channel);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _channel?.Dispose();
        base.Dispose(disposing);
    }
}
