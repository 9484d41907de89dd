using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Tests.Infrastructure;

/// <summary>The real sidecar host in memory (TestServer), reached over a real gRPC channel. In memory rather than
/// QuotaSidecar.Testing's SidecarProcess: these tests swap services (a slow ledger) and need no ports.</summary>
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

    private readonly List<Action<IServiceCollection>> _services = [];
    private GrpcChannel? _channel;

    /// <summary>Changes the host's services, e.g. to put a slow store in front of the real ledger.</summary>
    public SidecarFactory WithServices(Action<IServiceCollection> configure)
    {
        _services.Add(configure);
        return this;
    }

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

        builder.ConfigureTestServices(services => _services.ForEach(configure => configure(services)));
    }

    protected override void Dispose(bool disposing)
    {
        _channel?.Dispose();
        base.Dispose(disposing);
    }
}
