using k8s.Models;
using QuotaSidecar.Deploy.Tests.Monitoring;
using QuotaSidecar.Deploy.Tests.Rendering;

namespace QuotaSidecar.Deploy.Tests.Chart;

public sealed class ExampleWorkloadTests
{
    [Theory]
    [InlineData(ValueSet.Example)]
    [InlineData(ValueSet.Full)]
    public void PodDisruptionBudget_covers_the_example_pods(string valueSet)
    {
        var release = RenderedRelease.Of(valueSet);
        var pod = new SidecarPod(release);

        var budget = release.Single<V1PodDisruptionBudget>(_ => true, "PodDisruptionBudget");

        Assert.Equal(pod.Deployment.Spec.Selector.MatchLabels, budget.Spec.Selector.MatchLabels);
        Assert.NotNull(budget.Spec.MaxUnavailable ?? budget.Spec.MinAvailable);
    }

    [Fact]
    public void Nothing_but_configuration_is_rendered_by_default()
    {
        var result = RenderedRelease.Template();

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.DoesNotContain("kind: Deployment", result.Output, StringComparison.Ordinal);
        Assert.Contains("kind: ConfigMap", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ServiceMonitor_scrapes_the_sidecars_metrics_port_through_the_metrics_Service()
    {
        var release = RenderedRelease.Of(ValueSet.Full);
        var pod = new SidecarPod(release);
        var monitor = release.Single<ServiceMonitor>(_ => true, "ServiceMonitor");

        var service = release.Single<V1Service>(
            s => monitor.Spec.Selector.MatchLabels.All(l => s.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value),
            "Service the ServiceMonitor selects");
        var endpoint = Assert.Single(monitor.Spec.Endpoints);
        var servicePort = Assert.Single(service.Spec.Ports, p => p.Name == endpoint.Port);

        Assert.Equal("/metrics", endpoint.Path);
        Assert.All(service.Spec.Selector, l => Assert.Equal(l.Value, pod.Labels[l.Key]));
        Assert.Equal(pod.Config["Quota__Http__Port"], pod.ContainerPort(pod.Sidecar, servicePort.TargetPort.Value).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Rendering_refuses_Kubernetes_without_native_sidecars()
    {
        var result = RenderedRelease.Template("--kube-version", "1.28.0", "--set", "example.enabled=true");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("incompatible with Kubernetes", result.Error, StringComparison.Ordinal);
    }
}
