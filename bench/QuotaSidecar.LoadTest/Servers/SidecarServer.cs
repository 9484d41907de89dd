using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.LoadTest.Network;

namespace QuotaSidecar.LoadTest.Servers;

/// <summary>
/// The real sidecar (<c>dotnet QuotaSidecar.dll</c>, Release) as a separate process, configured through its
/// environment, with two funded flat HARD accounts (the second an A/A control) and a depth-3 path of funded HARD
/// accounts (org → team → key) created through the admin API. Handler time and Redis calls come
/// from its Prometheus endpoint, diffed between the start and the end of each run. The load tool's own wrapper of a
/// <see cref="ChildProcess"/> (not the tests' SidecarProcess): it logs to the run directory and serves load channels.
/// </summary>
internal sealed class SidecarServer : IServerUnderTest
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly ChildProcess _process;
    private readonly ServerChannels _channels;
    private readonly int _httpPort;
    private PrometheusSnapshot? _before;
    private double? _cpuBefore;

    private SidecarServer(string name, string account, ChildProcess process, ServerChannels channels, int httpPort)
    {
        Name = name;
        Account = account;
        _process = process;
        _channels = channels;
        _httpPort = httpPort;
    }

    /// <summary>Extra environment for every sidecar started (--sidecar-env), applied last.</summary>
    public static IReadOnlyDictionary<string, string> ExtraEnvironment { get; set; } = new Dictionary<string, string>();

    public string Name { get; }

    public string? Account { get; }

    public string? TreeAccount { get; private set; }

    public string? TwinAccount => Account + "-twin";

    /// <summary>Why <see cref="TreeAccount"/> is null (a sidecar built before account trees), else null.</summary>
    public string? TreeMissing { get; private set; }

    /// <summary>Metric names found in the last scrape (reported so a renamed metric is noticed).</summary>
    public string? HandlerMetricName { get; private set; }

    public string? RedisMetricName { get; private set; }

    public static async Task<SidecarServer> StartAsync(
        string name, string sidecarDll, string? redisEndpoint, string runDirectory, CancellationToken cancellationToken)
    {
        var grpcPort = FreePort.Next();
        var httpPort = FreePort.Next();
        var socket = Path.Combine(runDirectory, name + ".sock");
        var token = Guid.NewGuid().ToString("N");
        var environment = new Dictionary<string, string>
        {
            ["Quota__Grpc__Host"] = "127.0.0.1",
            ["Quota__Grpc__Port"] = grpcPort.ToString(CultureInfo.InvariantCulture),
            ["Quota__Grpc__UnixSocket"] = socket,
            ["Quota__Http__Port"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["Quota__Admin__Token"] = token,
            ["Quota__Store"] = redisEndpoint is null ? "Embedded" : "Redis",
            ["Quota__InstanceName"] = name,
            ["Logging__LogLevel__Default"] = "Warning",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        if (redisEndpoint is not null)
        {
            environment["Quota__Redis__ConnectionString"] = redisEndpoint;
        }

        foreach (var (key, value) in ExtraEnvironment)
        {
            environment[key] = value;
        }

        File.Delete(socket);
        var process = ChildProcess.Start(name, "dotnet", [sidecarDll], environment, runDirectory);
        var channels = new ServerChannels(grpcPort, socket);
        var account = "load-" + Guid.NewGuid().ToString("N")[..8];
        var server = new SidecarServer(name, account, process, channels, httpPort);
        try
        {
            await Wait.UntilAsync(
                async () => Alive(process, name) && (await Http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/readyz"), cancellationToken)).IsSuccessStatusCode,
                TimeSpan.FromSeconds(60),
                () => $"{name} was not ready (GET /readyz on 127.0.0.1:{httpPort}) within 60 s:\n{process.Tail()}",
                cancellationToken);
            await server.CreateAccountAsync(token, cancellationToken);
            await server.CreateTreeAsync(token, cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public GrpcChannel Channel(Transport transport) => _channels.Get(transport);

    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        _before = await ScrapeAsync(cancellationToken);
        _cpuBefore = _process.CpuSeconds();
    }

    public async Task<ServerInterval> EndAsync(CancellationToken cancellationToken)
    {
        var cpu = _process.CpuSeconds() - _cpuBefore;
        var after = await ScrapeAsync(cancellationToken);
        var before = _before ?? after;
        long? redis = after.RedisCalls is { } a ? (long)(a - (before.RedisCalls ?? 0)) : null;
        return new ServerInterval(PrometheusSnapshot.Between(before, after), redis, cpu);
    }

    public double? RssMiB() => _process.RssMiB();

    public ValueTask DisposeAsync()
    {
        _channels.Dispose();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<PrometheusSnapshot> ScrapeAsync(CancellationToken cancellationToken)
    {
        var text = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{_httpPort}/metrics"), cancellationToken);
        var snapshot = PrometheusSnapshot.Parse(text);
        HandlerMetricName ??= snapshot.HandlerMetricName;
        RedisMetricName ??= snapshot.RedisMetricName;
        return snapshot;
    }

    private async Task CreateAccountAsync(string token, CancellationToken cancellationToken)
    {
        var admin = new QuotaAdmin.QuotaAdminClient(_channels.Get(Transport.Tcp));
        var headers = new Metadata { { "authorization", "Bearer " + token } };
        foreach (var id in new[] { Account, TwinAccount })
        {
            await admin.UpsertAccountAsync(
                new UpsertAccountRequest { AccountId = id, Status = AccountStatus.Active, OverageMode = OverageMode.Hard, Unit = "request" },
                headers, cancellationToken: cancellationToken);
            await admin.GrantCreditsAsync(
                new GrantCreditsRequest { AccountId = id, GrantId = "load-grant", Amount = 1_000_000_000_000L, Category = GrantCategory.Paid },
                headers, cancellationToken: cancellationToken);
        }
    }

    /// <summary>
    /// org → team → key under the flat account's id, each HARD with the same large grant as the flat account, so the
    /// depth-3 runs differ from the flat ones only by the two ancestors every request also charges. A sidecar that
    /// does not know <c>parent_id</c> ignores it (an unknown protobuf field) and would make three flat accounts: the
    /// parent echoed back by UpsertAccount is checked, and without it the depth-3 runs are skipped, not mismeasured.
    /// </summary>
    private async Task CreateTreeAsync(string token, CancellationToken cancellationToken)
    {
        var admin = new QuotaAdmin.QuotaAdminClient(_channels.Get(Transport.Tcp));
        var headers = new Metadata { { "authorization", "Bearer " + token } };
        string? parent = null;
        foreach (var level in new[] { "org", "team", "key" })
        {
            var id = $"{Account}-{level}";
            var request = new UpsertAccountRequest { AccountId = id, Status = AccountStatus.Active, OverageMode = OverageMode.Hard, Unit = "request" };
            if (parent is not null)
            {
                request.ParentId = parent;
            }

            var account = await admin.UpsertAccountAsync(request, headers, cancellationToken: cancellationToken);
            if (account.ParentId != (parent ?? ""))
            {
                TreeMissing = $"{Name} answered UpsertAccount({id}, parent_id {parent}) with parent '{account.ParentId}': no account trees in this build";
                return;
            }

            await admin.GrantCreditsAsync(
                new GrantCreditsRequest { AccountId = id, GrantId = "load-grant", Amount = 1_000_000_000_000L, Category = GrantCategory.Paid },
                headers, cancellationToken: cancellationToken);
            parent = id;
        }

        TreeAccount = parent;
    }

    /// <summary>True while the process runs; once it has exited, waiting longer is pointless: fail with its log.</summary>
    private static bool Alive(ChildProcess process, string name) => !process.HasExited
        ? true
        : throw new InvalidOperationException($"{name} exited during start-up:\n{process.Tail()}");
}
