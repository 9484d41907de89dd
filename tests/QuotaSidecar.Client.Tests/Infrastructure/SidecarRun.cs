using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Client.Tests.Infrastructure;

/// <summary>
/// The real sidecar executable on a free TCP port and a Unix socket, with the admin API on, for tests of what a
/// service sees. One per test class (xunit class fixture); tests make their own accounts.
/// </summary>
public sealed class SidecarRun : IAsyncLifetime
{
    public const string AdminToken = "client-tests-admin-token-0123";

    private AppProcess? _process;
    private GrpcChannel? _admin;

    public int GrpcPort { get; } = AppProcess.FreePort();

    public int HttpPort { get; } = AppProcess.FreePort();

    public string UnixSocket { get; } = Path.Combine(Path.GetTempPath(), $"quota-client-{Guid.NewGuid():N}.sock");

    public string TcpAddress => $"http://127.0.0.1:{GrpcPort}";

    public string UnixAddress => $"unix:{UnixSocket}";

    public string Output => _process?.Output ?? "";

    public async Task InitializeAsync()
    {
        _process = await AppProcess.StartAsync(
            Repository.SidecarDll,
            new Dictionary<string, string>
            {
                ["Quota__Grpc__Port"] = GrpcPort.ToString(CultureInfo.InvariantCulture),
                ["Quota__Http__Port"] = HttpPort.ToString(CultureInfo.InvariantCulture),
                ["Quota__Grpc__UnixSocket"] = UnixSocket,
                ["Quota__Admin__Token"] = AdminToken,
            },
            [],
            new Uri($"http://127.0.0.1:{HttpPort}/readyz"));
        _admin = GrpcChannel.ForAddress(TcpAddress);
    }

    /// <summary>A new HARD account with <paramref name="credits"/> credits.</summary>
    public async Task<string> NewAccountAsync(long credits)
    {
        var id = $"acct-{Guid.NewGuid():N}";
        var admin = new QuotaAdmin.QuotaAdminClient(_admin!);
        await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id, OverageMode = OverageMode.Hard }, Admin());
        await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g1", Amount = credits }, Admin());
        return id;
    }

    /// <summary>The sidecar's view of an account, read over its own API (not through the client under test).</summary>
    public async Task<GetBalanceResponse> BalanceAsync(string account) =>
        await new Quota.QuotaClient(_admin!).GetBalanceAsync(new GetBalanceRequest { AccountId = account }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(15)));

    public async Task DisposeAsync()
    {
        _admin?.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        File.Delete(UnixSocket);
        _process = null;
    }

    private static CallOptions Admin() =>
        new(new Metadata { { "authorization", $"Bearer {AdminToken}" } }, DateTime.UtcNow.AddSeconds(15));
}
