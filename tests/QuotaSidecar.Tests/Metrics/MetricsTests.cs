using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Metrics;

/// <summary>
/// What /metrics shows after some calls. Runs alone (after the parallel collections): test hosts in one process share
/// the meter name "QuotaSidecar", and when another host is disposed mid-test, OpenTelemetry in this host can drop the
/// instruments it merged with that host's, so a scrape would show none of them. One sidecar process has one host, so
/// this is a test-process effect.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests : IClassFixture<SidecarFactory>
{
    private readonly SidecarFactory _sidecar;

    public MetricsTests(SidecarFactory sidecar) => _sidecar = sidecar;

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
    public async Task The_hot_path_histogram_times_calls_that_fail_too()
    {
        using var http = _sidecar.CreateClient();
        var before = await ReserveTimingsAsync(http);

        for (var i = 0; i < 3; i++)
        {
            var e = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() =>
                _sidecar.Quota.ReserveAsync(new ReserveRequest { AccountId = "seeded", Amount = 0 }, Calls.Deadline).ResponseAsync);
            Assert.Equal(global::Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
        }

        // A call that ends in an error (or is cut off by its deadline) spent handler time too: the slowest calls, the
        // ones a stalled store cancels, must not vanish from the histogram.
        Assert.True(await ReserveTimingsAsync(http) >= before + 3, "failed Reserve calls were not timed");
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

    /// <summary>Reserve calls the hot-path histogram has timed so far (0 before the first).</summary>
    private static async Task<long> ReserveTimingsAsync(HttpClient http)
    {
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).WaitAsync(TimeSpan.FromSeconds(15));
        var m = System.Text.RegularExpressions.Regex.Match(text, @"quota_hot_path_duration_microseconds_count\{[^}]*method=""Reserve""[^}]*\} (\d+)");
        return m.Success ? long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
