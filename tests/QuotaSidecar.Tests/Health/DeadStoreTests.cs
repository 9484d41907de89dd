using System.Diagnostics;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Testing.Processes;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Health;

/// <summary>A sidecar whose Redis is not there (a closed port): the breaker opens, /readyz and /metrics say so, and a
/// Reserve is answered at once with STORE_UNAVAILABLE instead of waiting for the client's timeouts
/// (docs/design.md {#store-breaker}).</summary>
public sealed class DeadStoreTests : IDisposable
{
    private readonly SidecarFactory _sidecar = new SidecarFactory()
        .With("Quota:Store", "Redis")
        .With("Quota:Redis:ConnectionString", $"127.0.0.1:{FreePort.Next()}")
        .With("Quota:Seed:Accounts:0:AccountId", null)
        .With("Quota:Seed:Accounts:0:Credits", null)
        .With("Quota:Seed:Accounts:0:LowBalanceThreshold", null);

    public void Dispose() => _sidecar.Dispose();

    [Fact]
    public async Task The_breaker_opens_readiness_and_metrics_name_it_and_requests_are_answered_at_once()
    {
        using var http = _sidecar.CreateClient();
        var ready = "";
        var deadline = Stopwatch.StartNew();
        while (!ready.Contains("breaker open", StringComparison.Ordinal) && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative)); // 503 while unhealthy
            ready = await response.Content.ReadAsStringAsync();
            await Task.Delay(50);
        }

        Assert.Contains("Unhealthy: store: central store unreachable (breaker open)", ready, StringComparison.Ordinal);
        // The breaker goes half-open (1) for each trial and open (2) again when it fails: a scrape can land on either,
        // so read until one shows it open (a CI run scraped in a trial once).
        var metrics = "";
        var open = new System.Text.RegularExpressions.Regex(@"(?m)^quota_store_breaker_state(\{[^}]*\})? 2( |$)");
        deadline.Restart();
        do
        {
            metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        }
        while (!open.IsMatch(metrics) && deadline.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Matches(open, metrics);
        Assert.Matches(@"(?m)^quota_store_available(\{[^}]*\})? 0( |$)", metrics);

        var started = Stopwatch.StartNew();
        var answer = await _sidecar.Quota.ReserveAsync(new ReserveRequest { AccountId = "never-loaded", Amount = 1 }, Calls.Deadline);
        var took = started.Elapsed;
        Assert.Equal((Decision.Denied, DenyReason.StoreUnavailable), (answer.Decision, answer.DenyReason));

        // The budget is 100 ms; an open breaker does not even spend it. A generous bound for a loaded machine, far
        // under the 5 s the Redis client waited before.
        Assert.True(took < TimeSpan.FromSeconds(1), $"a Reserve with the store dead took {took.TotalMilliseconds:F0} ms");
    }
}
