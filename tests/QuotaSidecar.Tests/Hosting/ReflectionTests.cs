using Grpc.Reflection.V1Alpha;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Hosting;

/// <summary>gRPC server reflection lists the services the host serves.</summary>
public sealed class ReflectionTests : IClassFixture<SidecarFactory>
{
    private readonly SidecarFactory _sidecar;

    public ReflectionTests(SidecarFactory sidecar) => _sidecar = sidecar;

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
