using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.FaultTests.Harness;

/// <summary>Real sidecar executables sharing one Redis, with a gRPC channel each; all killed at dispose. The fault
/// scenarios' grouping of QuotaSidecar.Testing's SidecarProcess (their settings, admin calls and balances).</summary>
public sealed class Fleet : IAsyncDisposable
{
    public const string AdminToken = "fault-admin-token-0123456789";

    private readonly Dictionary<string, string> _settings;
    private readonly List<(SidecarProcess Process, GrpcChannel Channel)> _all = [];

    public Fleet(string redisEndpoint, IDictionary<string, string>? settings = null)
    {
        _settings = new Dictionary<string, string>
        {
            ["Quota__Store"] = "Redis",
            ["Quota__Redis__ConnectionString"] = redisEndpoint + ",abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000",
            ["Quota__Redis__KeyPrefix"] = "fault" + Guid.NewGuid().ToString("N")[..8],
            ["Quota__Admin__Token"] = AdminToken,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            _settings[key] = value;
        }
    }

    public static Dictionary<string, string> Embedded(IDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string> { ["Quota__Admin__Token"] = AdminToken, ["Logging__LogLevel__Default"] = "Warning" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        return all;
    }

    public IReadOnlyList<SidecarProcess> Sidecars => [.. _all.Select(s => s.Process)];

    public async Task<(SidecarProcess Sidecar, Quota.QuotaClient Quota, QuotaAdmin.QuotaAdminClient Admin)> StartAsync(string name)
    {
        var settings = new Dictionary<string, string>(_settings) { ["Quota__InstanceName"] = name };
        var sidecar = await SidecarProcess.StartAsync(settings);
        var channel = GrpcChannel.ForAddress(sidecar.TcpTarget);
        _all.Add((sidecar, channel));
        return (sidecar, new Quota.QuotaClient(channel), new QuotaAdmin.QuotaAdminClient(channel));
    }

    public static CallOptions Admin => new(new Metadata { { "authorization", $"Bearer {AdminToken}" } }, DateTime.UtcNow.AddSeconds(15));

    public static async Task CreateAccountAsync(QuotaAdmin.QuotaAdminClient admin, string account, long credits)
    {
        await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = account, Status = AccountStatus.Active, OverageMode = OverageMode.Hard }, Admin);
        await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = account, GrantId = "g-" + account, Amount = credits }, Admin);
    }

    public static async Task<Balance> BalanceAsync(QuotaAdmin.QuotaAdminClient admin, string account) =>
        (await admin.GetAccountAsync(new GetAccountRequest { AccountId = account }, Admin)).Balance;

    public static bool Conserved(Balance b) => b.Granted == b.Available + b.Leased + b.Consumed + b.Expired + b.Voided;

    public static string Describe(Balance b) =>
        $"granted={b.Granted} available={b.Available} leased={b.Leased} consumed={b.Consumed} expired={b.Expired} voided={b.Voided} overage={b.Overage}";

    /// <summary>Resident set size of a process, from /proc/&lt;pid&gt;/status, in MiB; throws where there is none.</summary>
    public static double RssMb(int pid) =>
        ChildProcess.RssMiB(pid) ?? throw new InvalidOperationException($"no resident set size for process {pid} (/proc/{pid}/status)");

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, channel) in _all)
        {
            channel.Dispose();
            await process.DisposeAsync();
        }
    }
}
