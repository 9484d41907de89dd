using System.Globalization;
using QuotaSidecar.Deploy.Tests.Rendering;

namespace QuotaSidecar.Deploy.Tests.Chart;

public sealed class SidecarContainerTests
{
    [Theory]
    [InlineData(ValueSet.Example)]
    [InlineData(ValueSet.Full)]
    public void Sidecar_is_a_native_sidecar_in_initContainers(string valueSet)
    {
        var pod = new SidecarPod(RenderedRelease.Of(valueSet));

        Assert.NotNull(pod.SidecarInInitContainers);
        Assert.Equal("Always", pod.Sidecar.RestartPolicy);
        Assert.DoesNotContain(pod.AppContainers, c => c.Name == SidecarPod.SidecarName);
        Assert.NotEmpty(pod.AppContainers);
    }

    [Theory]
    [InlineData(ValueSet.Example)]
    [InlineData(ValueSet.Full)]
    public void Sidecar_probes_health_on_the_http_port(string valueSet)
    {
        var pod = new SidecarPod(RenderedRelease.Of(valueSet));
        var sidecar = pod.Sidecar;

        Assert.NotNull(sidecar.StartupProbe);
        Assert.NotNull(sidecar.LivenessProbe);
        Assert.NotNull(sidecar.ReadinessProbe);
        Assert.Equal("/healthz", sidecar.StartupProbe.HttpGet.Path);
        Assert.Equal("/healthz", sidecar.LivenessProbe.HttpGet.Path);
        Assert.Equal("/readyz", sidecar.ReadinessProbe.HttpGet.Path);
        var httpPort = int.Parse(pod.Config["Quota__Http__Port"], CultureInfo.InvariantCulture);
        foreach (var probe in new[] { sidecar.StartupProbe, sidecar.LivenessProbe, sidecar.ReadinessProbe })
        {
            Assert.Equal(httpPort, pod.ContainerPort(sidecar, probe.HttpGet.Port.Value));
        }

        // The kubelet probes from outside the pod's loopback: the HTTP port must listen on all interfaces.
        Assert.Equal("0.0.0.0", pod.Config["Quota__Http__Host"]);
    }

    [Theory]
    [InlineData(ValueSet.Example)]
    [InlineData(ValueSet.Full)]
    public void Sidecar_runs_as_non_root_with_a_read_only_root_and_no_capabilities(string valueSet)
    {
        var security = new SidecarPod(RenderedRelease.Of(valueSet)).Sidecar.SecurityContext;

        Assert.NotNull(security);
        Assert.True(security.RunAsNonRoot);
        Assert.True(security.RunAsUser > 0, "a numeric non-root user lets the kubelet verify runAsNonRoot");
        Assert.True(security.ReadOnlyRootFilesystem);
        Assert.False(security.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], security.Capabilities.Drop);
        Assert.Null(security.Capabilities.Add);
        Assert.Equal("RuntimeDefault", security.SeccompProfile.Type);
    }

    [Theory]
    [InlineData(ValueSet.Example)]
    [InlineData(ValueSet.Full)]
    public void Sidecar_reads_its_settings_from_the_ConfigMap_and_its_name_from_the_pod(string valueSet)
    {
        var release = RenderedRelease.Of(valueSet);
        var pod = new SidecarPod(release);

        var configMapRef = Assert.Single(pod.Sidecar.EnvFrom).ConfigMapRef;
        Assert.Equal(release.ConfigMap.Metadata.Name, configMapRef.Name);
        Assert.All(pod.Config.Keys, key => Assert.DoesNotContain(key, new[] { "Quota__Admin__Token", "Quota__Redis__ConnectionString", "REDIS_PASSWORD" }));
        Assert.Equal("127.0.0.1", pod.Config["Quota__Grpc__Host"]);
        var instanceName = SidecarPod.Env(pod.Sidecar, "Quota__InstanceName");
        Assert.NotNull(instanceName);
        Assert.Equal("metadata.name", instanceName.ValueFrom.FieldRef.FieldPath);
    }

    [Fact]
    public void Default_settings_match_the_sidecars_documented_defaults()
    {
        var config = new SidecarPod(RenderedRelease.Of(ValueSet.Example)).Config;

        Assert.Equal("Embedded", config["Quota__Store"]);
        Assert.Equal("127.0.0.1", config["Quota__Grpc__Host"]);
        Assert.Equal("7070", config["Quota__Grpc__Port"]);
        Assert.Equal("9090", config["Quota__Http__Port"]);
        Assert.Equal("00:00:00.250", config["Quota__Settle__Interval"]);
        Assert.Equal("00:01:00", config["Quota__Holds__DefaultTtl"]);
        Assert.Equal("01:00:00", config["Quota__Holds__MaxTtl"]);
        Assert.Equal("00:00:10", config["Quota__Shutdown__GracePeriod"]);
    }

    [Theory]
    [InlineData(ValueSet.Example)]
    [InlineData(ValueSet.Full)]
    public void Termination_grace_period_leaves_the_sidecar_its_shutdown_grace_after_the_app(string valueSet)
    {
        var pod = new SidecarPod(RenderedRelease.Of(valueSet));
        var sidecarGrace = TimeSpan.Parse(pod.Config["Quota__Shutdown__GracePeriod"], CultureInfo.InvariantCulture);

        // The app stops first and the sidecar settles after it, both within the pod's one grace period.
        Assert.NotNull(pod.Spec.TerminationGracePeriodSeconds);
        Assert.True(
            pod.Spec.TerminationGracePeriodSeconds > sidecarGrace.TotalSeconds,
            $"terminationGracePeriodSeconds {pod.Spec.TerminationGracePeriodSeconds} must exceed the sidecar's grace period {sidecarGrace}");
    }

    [Fact]
    public void Default_termination_grace_period_is_app_time_plus_sidecar_grace_plus_margin()
    {
        var pod = new SidecarPod(RenderedRelease.Of(ValueSet.Example));

        Assert.Equal(30 + 10 + 5, pod.Spec.TerminationGracePeriodSeconds);
    }
}
