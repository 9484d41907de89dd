using System.Globalization;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Hosting;

/// <summary>
/// The real sidecar against a real redis-server that accepts only TLS (server certificate from a private CA, client
/// certificates required) and only an ACL user with a password: it works with the right settings, fails closed with
/// the wrong ones, and never writes the password to its logs.
/// </summary>
public sealed class RedisTlsAclTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("quota-redis-tls-").FullName;
    private readonly string _password = "pw-" + Guid.NewGuid().ToString("N");
    private readonly int _port = FreePort.Next();
    private ChildProcess? _redis;
    private string _caFile = "";
    private (string Certificate, string Key) _client;

    public async Task InitializeAsync()
    {
        using var ca = TestCertificates.Authority("CN=redis-test-ca");
        using var server = TestCertificates.Issue(ca, "CN=localhost", serverAuth: true);
        using var client = TestCertificates.Issue(ca, "CN=quota-sidecar", serverAuth: false);
        _caFile = TestCertificates.WritePem(ca, _dir, "ca").Certificate;
        var (serverCert, serverKey) = TestCertificates.WritePem(server, _dir, "server");
        _client = TestCertificates.WritePem(client, _dir, "client");

        // Its own redis-server, not QuotaSidecar.Testing's RedisServer: this one speaks only TLS, which a plain PING cannot probe.
        string[] arguments =
        [
            "--bind", "127.0.0.1", "--port", "0", "--tls-port", _port.ToString(CultureInfo.InvariantCulture),
            "--tls-cert-file", serverCert, "--tls-key-file", serverKey, "--tls-ca-cert-file", _caFile, "--tls-auth-clients", "yes",
            "--dir", _dir, "--save", "", "--appendonly", "no",
            "--user", "default", "off",
            "--user", "quota", "on", ">" + _password, "~*", "&*", "+@all",
        ];
        var redis = _redis = ChildProcess.Start("redis-server", "redis-server", arguments);
        await Wait.UntilAsync(
            async () =>
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", _port);
                return !redis.HasExited;
            },
            TimeSpan.FromSeconds(15),
            () => $"the TLS redis-server did not listen on {_port} within 15 s:\n{redis.Tail()}",
            CancellationToken.None);
    }

    [Fact]
    public async Task The_sidecar_spends_credits_through_tls_with_an_acl_user_and_keeps_the_password_out_of_its_logs()
    {
        await using var sidecar = await SidecarProcess.StartAsync(Settings(_password, withCa: true));
        using var channel = GrpcChannel.ForAddress(sidecar.TcpTarget);
        var admin = new QuotaAdmin.QuotaAdminClient(channel);
        var quota = new Quota.QuotaClient(channel);

        await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = "tls-acct", Status = AccountStatus.Active }, Admin());
        await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = "tls-acct", GrantId = "g1", Amount = 100 }, Admin());
        var reply = await quota.ConsumeAsync(new ConsumeRequest { AccountId = "tls-acct", Amount = 7 }, deadline: DateTime.UtcNow.AddSeconds(15));

        Assert.Equal(Decision.Granted, reply.Decision);
        sidecar.Terminate();
        Assert.True(await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.DoesNotContain(_password, sidecar.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, true)] // wrong password
    [InlineData(true, false)] // Redis's certificate from a CA the sidecar was not told to trust
    public async Task Wrong_credentials_or_an_untrusted_certificate_fail_closed_without_logging_the_password(bool rightPassword, bool withCa)
    {
        var password = rightPassword ? _password : "wrong-" + Guid.NewGuid().ToString("N");
        await using var sidecar = await SidecarProcess.StartAsync(Settings(password, withCa), waitFor: "/healthz");
        using var channel = GrpcChannel.ForAddress(sidecar.TcpTarget);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{sidecar.HttpPort}") };

        // It never gets ready: the settle loop's store probe fails, and it has no leases to serve from.
        var readyz = System.Net.HttpStatusCode.OK;
        for (var i = 0; i < 100 && readyz == System.Net.HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            readyz = (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode;
        }

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, readyz);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await new QuotaAdmin.QuotaAdminClient(channel).UpsertAccountAsync(
            new UpsertAccountRequest { AccountId = "tls-acct", Status = AccountStatus.Active }, Admin()));
        var reply = await new Quota.QuotaClient(channel).ConsumeAsync(
            new ConsumeRequest { AccountId = "tls-acct", Amount = 1 }, deadline: DateTime.UtcNow.AddSeconds(20));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(Decision.Denied, reply.Decision);
        Assert.Equal(DenyReason.StoreUnavailable, reply.DenyReason);
        Assert.DoesNotContain(password, sidecar.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(password, error.Status.Detail, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private Dictionary<string, string> Settings(string password, bool withCa)
    {
        var settings = new Dictionary<string, string>
        {
            ["Quota__Store"] = "Redis",
            ["Quota__Redis__ConnectionString"] = $"localhost:{_port},user=quota,password={password},connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000",
            ["Quota__Redis__KeyPrefix"] = "tls" + Guid.NewGuid().ToString("N")[..8],
            ["Quota__Redis__TlsCertFile"] = _client.Certificate,
            ["Quota__Redis__TlsKeyFile"] = _client.Key,
            ["Quota__Admin__Token"] = AdminToken,
            ["Logging__LogLevel__Default"] = "Debug",
        };
        if (withCa)
        {
            settings["Quota__Redis__TlsCaFile"] = _caFile;
        }

        return settings;
    }

    private const string AdminToken = "redis-tls-admin-token-0123456789";

    private static CallOptions Admin() =>
        new(new Metadata { { "authorization", $"Bearer {AdminToken}" } }, DateTime.UtcNow.AddSeconds(20));
}
