using Grpc.Health.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Health;

/// <summary>The gRPC health service and the HTTP health endpoints of the host, in memory.</summary>
public sealed class HealthTests : IClassFixture<SidecarFactory>
{
    private readonly SidecarFactory _sidecar;

    public HealthTests(SidecarFactory sidecar) => _sidecar = sidecar;

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
}
