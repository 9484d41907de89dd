using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Configuration;

/// <summary>The settings ASP.NET needs before the host starts (so before the validator runs) come from the same
/// section, and a value that does not convert still stops the start naming the setting.</summary>
public sealed class StartupSettingsTests
{
    [Fact]
    public async Task Grace_period_message_size_and_stream_limit_reach_the_host_grpc_and_kestrel()
    {
        await using var sidecar = new SidecarFactory()
            .With("Quota:Shutdown:GracePeriod", "00:00:03")
            .With("Quota:Grpc:MaxReceiveMessageSize", "2048")
            .With("Quota:Limits:MaxStreamsPerConnection", "77");
        _ = sidecar.Server;

        Assert.Equal(TimeSpan.FromSeconds(8), sidecar.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        Assert.Equal(2048, sidecar.Services.GetRequiredService<IOptions<GrpcServiceOptions>>().Value.MaxReceiveMessageSize);
        Assert.Equal(77, sidecar.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.Http2.MaxStreamsPerConnection);
    }

    [Fact]
    public async Task A_value_that_does_not_convert_stops_the_start_naming_the_setting()
    {
        await using var sidecar = new SidecarFactory().With("Quota:Grpc:Port", "seventy");

        var error = Assert.ThrowsAny<Exception>(() => sidecar.Server);

        Assert.Contains("Quota:Grpc:Port", error.ToString(), StringComparison.Ordinal);
    }
}
