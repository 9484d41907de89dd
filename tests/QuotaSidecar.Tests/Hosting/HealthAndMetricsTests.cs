using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Hosting;

/// <summary>
/// Runs alone (after the parallel collections): test hosts in one process share the meter name "QuotaSidecar", and
/// when another host is disposed mid-test, OpenTelemetry in this host can drop the instruments it merged with that
/// host's, so a scrape would show none of them. One sidecar process has one host, so this is a test-process effect.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class HealthAndMetricsTests : IClassFixture<SidecarFactory>
{
    private readonly SidecarFactory _sidecar;

    public HealthAndMetricsTests(SidecarFactory sidecar) => _sidecar = sidecar;

    [Fact]
    public async Task Grpc_health_says_serving()
    {
        var health = new global::Grpc.Health.V1.Health.HealthClient(_sidecar.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest(), Calls.Deadline);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Http_health_endpoints_answer_healthy(string path)
    {
        using var http = _sidecar.CreateClient();

        var response = await http.GetAsync(new Uri(path, UriKind.Relative)).WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_show_decisions_hot_path_latency_and_holds_after_some_calls()
    {
        await _sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = "seeded", Amount = 1 }, Calls.Deadline);
        await _sidecar.Quota.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = 1 }, Calls.Deadline);
        await _sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = "nobody", Amount = 1 }, Calls.Deadline);
        using var http = _sidecar.CreateClient();

        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Matches(@"quota_decisions_total\{[^}]*reason=""none""[^}]*result=""granted""[^}]*\} [1-9]", text);
        Assert.Matches(@"quota_decisions_total\{[^}]*reason=""unknown_account""[^}]*result=""denied""[^}]*\} [1-9]", text);
        Assert.Matches(@"quota_hot_path_duration_microseconds_bucket\{[^}]*method=""Consume""[^}]*le=""20""\}", text);
        // Gauges: present (their values are per process, and a test process runs several hosts at once).
        Assert.Matches(@"quota_holds_open\{[^}]*\} \d", text);
        Assert.Contains("quota_lease_refills_total", text, StringComparison.Ordinal);
        Assert.Contains("quota_credits_at_risk", text, StringComparison.Ordinal);
        Assert.Contains("quota_store_available", text, StringComparison.Ordinal);
        Assert.DoesNotContain("seeded", text, StringComparison.Ordinal); // no per-account labels
    }

    [Fact]
    public async Task Metrics_show_settle_passes_with_their_duration()
    {
        await _sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = "seeded", Amount = 1 }, Calls.Deadline);
        using var http = _sidecar.CreateClient();

        // The settle loop reports the usage within an interval or two (250 ms).
        var text = "";
        for (var i = 0; i < 150 && !System.Text.RegularExpressions.Regex.IsMatch(text, @"quota_settle_duration_milliseconds_count\{[^}]*\} [1-9]"); i++)
        {
            await Task.Delay(100);
            text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).WaitAsync(TimeSpan.FromSeconds(15));
        }

        Assert.Matches(@"quota_settle_duration_milliseconds_count\{[^}]*\} [1-9]", text);
        Assert.Matches(@"quota_settle_exchanges_total\{[^}]*\} [1-9]", text);
    }

    [Fact]
    public async Task Reflection_lists_the_services()
    {
        var reflection = new ServerReflection.ServerReflectionClient(_sidecar.Channel);
        using var call = reflection.ServerReflectionInfo(Calls.Deadline);

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Contains("quota.v1.Quota", names);
        Assert.Contains("quota.v1.QuotaAdmin", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }
}

/// <summary>Test classes that scrape /metrics: not run in parallel with other hosts (see <see cref="HealthAndMetricsTests"/>).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
