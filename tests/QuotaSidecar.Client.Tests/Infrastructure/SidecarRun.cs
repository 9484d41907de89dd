using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Client.Tests.Infrastructure;

/// <summary>
/// The real sidecar executable on a free TCP port and a Unix socket, with the admin API on, for tests of what a
/// service sees. One per test class (xunit class fixture); tests make their own accounts. A fixture around
/// QuotaSidecar.Testing's SidecarProcess, with the admin calls these tests make over their own generated types.
/// </summary>
public sealed class SidecarRun : IAsyncLifetime
{
    public const string AdminToken = "client-tests-admin-token-0123";

    /// <summary>Accounts whose id starts with this are in shadow mode (Quota:ShadowAccounts).</summary>
    public const string ShadowPrefix = "shadow-";

    private SidecarProcess? _process;
    private GrpcChannel? _admin;

    private SidecarProcess Process => _process ?? throw new InvalidOperationException("the fixture is not initialized");

    public int GrpcPort => Process.GrpcPort;

    public int HttpPort => Process.HttpPort;

    public string UnixSocket => Process.UnixSocket!;

    public string TcpAddress => Process.TcpTarget;

    public string UnixAddress => $"unix:{UnixSocket}";

    public string Output => _process?.Output ?? "";

    public async Task InitializeAsync()
    {
        _process = await SidecarProcess.StartAsync(
            new Dictionary<string, string>
            {
                ["Quota__Admin__Token"] = AdminToken,
                ["Quota__ShadowAccounts__0"] = ShadowPrefix + "*", // only NewAccountAsync(credits, shadow: true) accounts
            },
            unixSocket: true);
        _admin = GrpcChannel.ForAddress(TcpAddress);
    }

    /// <summary>A new HARD account with <paramref name="credits"/> credits; <paramref name="shadow"/>: in shadow mode
    /// (its denials are answered GRANTED with shadow_denied).</summary>
    public async Task<string> NewAccountAsync(long credits, bool shadow = false)
    {
        var id = $"{(shadow ? ShadowPrefix : "acct-")}{Guid.NewGuid():N}";
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
            await _process.DisposeAsync(); // also removes the socket file
        }

        _process = null;
    }

    private static CallOptions Admin() =>
        new(new Metadata { { "authorization", $"Bearer {AdminToken}" } }, DateTime.UtcNow.AddSeconds(15));
}
