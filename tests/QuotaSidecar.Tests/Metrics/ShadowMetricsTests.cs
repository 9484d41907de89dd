using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Metrics;

/// <summary>Shadow denials are counted by reason on /metrics (alone in the metrics collection: see <see cref="MetricsTests"/>).</summary>
[Collection(MetricsCollection.Name)]
public sealed class ShadowMetricsTests
{
    [Fact]
    public async Task Shadow_denials_are_counted_by_the_reason_they_would_have_had()
    {
        using var sidecar = new SidecarFactory().With("Quota:Shadow", "true");
        await sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = "nobody-shadow", Amount = 1 }, Calls.Deadline);
        await sidecar.Quota.ReserveAsync(new ReserveRequest { AccountId = "nobody-shadow", Amount = 1 }, Calls.Deadline);
        using var http = sidecar.CreateClient();

        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Matches(@"quota_shadow_denials_total\{[^}]*reason=""unknown_account""[^}]*\} [2-9]", text);
        Assert.Matches(@"quota_decisions_total\{[^}]*reason=""unknown_account""[^}]*result=""denied""[^}]*\} [1-9]", text); // still decided
    }
}
