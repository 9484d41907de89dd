using QuotaSidecar.Deploy.Tests.Rendering;

namespace QuotaSidecar.Deploy.Tests.Chart;

public sealed class SocketTests
{
    private const string AddressEnv = "QUOTA_SIDECAR_ADDRESS";

    [Theory]
    [InlineData(ValueSet.Example)]
    [InlineData(ValueSet.Full)]
    public void Socket_directory_is_an_emptyDir_mounted_in_the_sidecar_and_every_app_container(string valueSet)
    {
        var pod = new SidecarPod(RenderedRelease.Of(valueSet));
        var socketPath = pod.Config["Quota__Grpc__UnixSocket"];
        var directory = Path.GetDirectoryName(socketPath);

        var mount = Assert.Single(pod.Sidecar.VolumeMounts, m => m.MountPath == directory);
        var volume = Assert.Single(pod.Spec.Volumes, v => v.Name == mount.Name);
        Assert.NotNull(volume.EmptyDir);
        Assert.NotEqual(true, mount.ReadOnlyProperty);
        Assert.All(pod.AppContainers, app =>
        {
            var appMount = Assert.Single(app.VolumeMounts, m => m.Name == volume.Name);
            Assert.Equal(directory, appMount.MountPath);
        });
    }

    [Theory]
    [InlineData(ValueSet.Example)]
    [InlineData(ValueSet.Full)]
    public void App_is_told_the_socket_address_the_sidecar_listens_on(string valueSet)
    {
        var pod = new SidecarPod(RenderedRelease.Of(valueSet));
        var socketPath = pod.Config["Quota__Grpc__UnixSocket"];

        Assert.StartsWith("/", socketPath, StringComparison.Ordinal);
        Assert.All(pod.AppContainers, app =>
        {
            var address = SidecarPod.Env(app, AddressEnv);
            Assert.NotNull(address);
            Assert.Equal($"unix://{socketPath}", address.Value);
        });
    }

    [Theory]
    [InlineData(ValueSet.Example)]
    [InlineData(ValueSet.Full)]
    public void App_runs_as_the_sidecars_user_so_it_may_connect_to_the_socket(string valueSet)
    {
        var pod = new SidecarPod(RenderedRelease.Of(valueSet));
        var sidecarUser = pod.Sidecar.SecurityContext.RunAsUser;

        Assert.All(pod.AppContainers, app =>
            Assert.Equal(sidecarUser, app.SecurityContext?.RunAsUser ?? pod.Spec.SecurityContext?.RunAsUser));
    }
}
