using System.Globalization;
using System.Net;
using System.Text.Json;
using QuotaSidecar.Client.Tests.Infrastructure;

namespace QuotaSidecar.Client.AspNetCore.Tests.Samples;

/// <summary>
/// samples/Caller → samples/Callee as real processes, with the Callee's own real sidecar (on a Unix socket)
/// deciding: grants, a denial once the credits run out, and the release when the Callee's handler fails.
/// </summary>
public sealed class CallerCalleeTests : IClassFixture<CallerCalleeTests.Deployment>
{
    private readonly Deployment _deployment;

    public CallerCalleeTests(Deployment deployment) => _deployment = deployment;

    [Fact]
    public async Task Grpc_calls_are_granted_until_the_credits_run_out_then_denied_with_the_reason()
    {
        var account = await _deployment.Sidecar.NewAccountAsync(12); // Render costs 5

        var first = await _deployment.CallerAsync(HttpMethod.Get, $"/render/{account}/q1");
        var second = await _deployment.CallerAsync(HttpMethod.Get, $"/render/{account}/q2");
        var third = await _deployment.CallerAsync(HttpMethod.Get, $"/render/{account}/q3");

        Assert.Equal((HttpStatusCode.OK, "granted", "OK"), (first.Status, first.Result, first.GrpcStatus));
        Assert.Equal("report 'q1' rendered", first.Detail);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal((HttpStatusCode.TooManyRequests, "refused", "ResourceExhausted"), (third.Status, third.Result, third.GrpcStatus));
        Assert.Equal("insufficient_credits", third.Reason);
        Assert.Equal(2, (await _deployment.Sidecar.BalanceAsync(account)).Spendable);
    }

    [Fact]
    public async Task Http_calls_are_granted_until_the_credits_run_out_then_denied_with_the_reason()
    {
        var account = await _deployment.Sidecar.NewAccountAsync(45); // an export costs 20 (configuration)

        var first = await _deployment.CallerAsync(HttpMethod.Post, $"/export/{account}/e1");
        var second = await _deployment.CallerAsync(HttpMethod.Post, $"/export/{account}/e2");
        var third = await _deployment.CallerAsync(HttpMethod.Post, $"/export/{account}/e3");

        Assert.True(first.Status == HttpStatusCode.OK && first.Result == "granted", first.ToString());
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal((HttpStatusCode.TooManyRequests, "refused", "insufficient_credits"), (third.Status, third.Result, third.Reason));
        Assert.Equal(5, (await _deployment.Sidecar.BalanceAsync(account)).Spendable);
    }

    [Fact]
    public async Task A_failing_handler_in_the_callee_releases_the_hold()
    {
        var account = await _deployment.Sidecar.NewAccountAsync(100);

        var grpc = await _deployment.CallerAsync(HttpMethod.Get, $"/render/{account}/fail");
        var http = await _deployment.CallerAsync(HttpMethod.Post, $"/export/{account}/fail");

        Assert.True(grpc.Status == HttpStatusCode.BadGateway && grpc.GrpcStatus == "Internal", grpc.ToString());
        Assert.Equal(HttpStatusCode.InternalServerError, http.Status);
        var balance = await _deployment.Sidecar.BalanceAsync(account);
        Assert.Equal(100, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    /// <summary>The three processes, started once for the class: sidecar, Callee (h2c, quota over the Unix socket), Caller.</summary>
    public sealed class Deployment : IAsyncLifetime
    {
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
        private AppProcess? _callee;
        private AppProcess? _caller;
        private int _callerPort;

        public SidecarRun Sidecar { get; } = new();

        public async Task InitializeAsync()
        {
            try
            {
                await StartAsync();
            }
            catch
            {
                await DisposeAsync(); // xunit does not dispose a fixture whose start failed: no orphaned processes
                throw;
            }
        }

        private async Task StartAsync()
        {
            await Sidecar.InitializeAsync();
            var calleePort = FreePort.Next();
            _callee = await AppProcess.StartAsync(
                Repository.Built("samples/Callee", "Callee.dll"),
                new Dictionary<string, string>(),
                // A generous deadline: three cold processes share two CPUs here.
                ["--urls", $"http://127.0.0.1:{calleePort}", "--Kestrel:EndpointDefaults:Protocols=Http2", $"--Quota:Address={Sidecar.UnixAddress}", "--Quota:Timeout=00:00:15"],
                new Uri($"http://127.0.0.1:{calleePort}/healthz"),
                http2: true);
            _callerPort = FreePort.Next();
            _caller = await AppProcess.StartAsync(
                Repository.Built("samples/Caller", "Caller.dll"),
                new Dictionary<string, string>(),
                ["--urls", $"http://127.0.0.1:{_callerPort}", $"--Callee:Address=http://127.0.0.1:{calleePort.ToString(CultureInfo.InvariantCulture)}"],
                new Uri($"http://127.0.0.1:{_callerPort}/healthz"));

            // Warm both paths once, so the tests measure decisions, not the first call's start-up.
            var warm = await Sidecar.NewAccountAsync(1_000);
            await CallerAsync(HttpMethod.Get, $"/render/{warm}/warm-up");
            await CallerAsync(HttpMethod.Post, $"/export/{warm}/warm-up");
        }

        public async Task<Outcome> CallerAsync(HttpMethod method, string path)
        {
            using var request = new HttpRequestMessage(method, new Uri($"http://127.0.0.1:{_callerPort}{path}"));
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            return new Outcome(
                response.StatusCode,
                root.GetProperty("result").GetString()!,
                root.GetProperty("status").GetString()!,
                root.GetProperty("detail").GetString()!,
                root.GetProperty("reason").GetString());
        }

        public async Task DisposeAsync()
        {
            _http.Dispose();
            if (_caller is not null)
            {
                await _caller.DisposeAsync();
            }

            if (_callee is not null)
            {
                await _callee.DisposeAsync();
            }

            await Sidecar.DisposeAsync();
        }
    }

    /// <summary>What the Caller reported about its call to the Callee.</summary>
    public sealed record Outcome(HttpStatusCode Status, string Result, string GrpcStatus, string Detail, string? Reason);
}
