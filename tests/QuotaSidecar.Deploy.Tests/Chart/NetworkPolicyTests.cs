using System.Globalization;
using k8s.Models;
using QuotaSidecar.Deploy.Tests.Rendering;

namespace QuotaSidecar.Deploy.Tests.Chart;

public sealed class NetworkPolicyTests
{
    [Fact]
    public void NetworkPolicy_selects_the_sidecar_pods_and_isolates_their_ingress()
    {
        var release = RenderedRelease.Of(ValueSet.Full);
        var pod = new SidecarPod(release);

        var policy = PolicyOf(release, pod);

        Assert.Contains("Ingress", policy.Spec.PolicyTypes);
    }

    [Fact]
    public void NetworkPolicy_opens_neither_the_grpc_admin_port_nor_the_metrics_port_to_everyone()
    {
        var release = RenderedRelease.Of(ValueSet.Full);
        var pod = new SidecarPod(release);
        var policy = PolicyOf(release, pod);
        var grpcPort = int.Parse(pod.Config["Quota__Grpc__Port"], CultureInfo.InvariantCulture);
        var httpPort = int.Parse(pod.Config["Quota__Http__Port"], CultureInfo.InvariantCulture);

        foreach (var rule in policy.Spec.Ingress)
        {
            // A rule without ports admits every port; one without peers admits every source.
            Assert.NotNull(rule.Ports);
            Assert.NotEmpty(rule.Ports);
            var ports = rule.Ports.Select(p => ResolvePort(pod, p.Port.Value)).ToList();
            Assert.DoesNotContain(grpcPort, ports);
            if (ports.Contains(httpPort))
            {
                Assert.NotNull(rule.FromProperty);
                Assert.NotEmpty(rule.FromProperty);
                Assert.DoesNotContain(rule.FromProperty, AdmitsEveryone);
            }
        }

        Assert.Contains(policy.Spec.Ingress, rule => rule.Ports.Any(p => ResolvePort(pod, p.Port.Value) == httpPort));
    }

    [Fact]
    public void NetworkPolicy_is_not_rendered_unless_asked_for()
    {
        Assert.Empty(RenderedRelease.Of(ValueSet.Example).All<V1NetworkPolicy>());
    }

    // Peers that stand for any source: every address, or every pod of every namespace.
    private static bool AdmitsEveryone(V1NetworkPolicyPeer peer) =>
        peer.IpBlock?.Cidr is "0.0.0.0/0" or "::/0"
        || (IsEmpty(peer.NamespaceSelector) && peer.PodSelector is null)
        || (IsEmpty(peer.NamespaceSelector) && IsEmpty(peer.PodSelector));

    private static bool IsEmpty(V1LabelSelector? selector) =>
        selector is not null && (selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0;

    private static V1NetworkPolicy PolicyOf(RenderedRelease release, SidecarPod pod) =>
        release.Single<V1NetworkPolicy>(
            p => p.Spec.PodSelector.MatchLabels.All(label => pod.Labels.TryGetValue(label.Key, out var value) && value == label.Value),
            "NetworkPolicy that selects the sidecar's pods");

    // A NetworkPolicy port is a number or the name of a container port of the selected pods.
    private static int ResolvePort(SidecarPod pod, string port) =>
        int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : pod.Spec.InitContainers.Concat(pod.Spec.Containers)
                .SelectMany(c => c.Ports ?? [])
                .Single(p => p.Name == port).ContainerPort;
}
