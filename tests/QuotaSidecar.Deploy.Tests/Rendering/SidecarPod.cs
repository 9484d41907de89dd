using k8s.Models;

namespace QuotaSidecar.Deploy.Tests.Rendering;

/// <summary>The rendered pod template that carries the sidecar, with the configuration it reads.</summary>
internal sealed class SidecarPod
{
    public const string SidecarName = "quota-sidecar";

    public SidecarPod(RenderedRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        Release = release;
        Deployment = release.WorkloadWithSidecar(SidecarName);
        Spec = Deployment.Spec.Template.Spec;
        Config = release.ConfigMap.Data ?? new Dictionary<string, string>();
    }

    public RenderedRelease Release { get; }

    public V1Deployment Deployment { get; }

    public V1PodSpec Spec { get; }

    /// <summary>Data of the chart's ConfigMap (the sidecar's Quota__* settings).</summary>
    public IDictionary<string, string> Config { get; }

    public IDictionary<string, string> Labels => Deployment.Spec.Template.Metadata.Labels;

    public V1Container? SidecarInInitContainers => Spec.InitContainers?.SingleOrDefault(c => c.Name == SidecarName);

    public V1Container Sidecar =>
        SidecarInInitContainers ?? throw new InvalidOperationException($"[{Release.Name}] no init container named {SidecarName}");

    /// <summary>The app containers: every regular container of the pod.</summary>
    public IList<V1Container> AppContainers => Spec.Containers;

    public static V1EnvVar? Env(V1Container container, string name) => container.Env?.SingleOrDefault(e => e.Name == name);

    public static int IndexOfEnv(V1Container container, string name) =>
        container.Env?.Select((e, i) => (e, i)).Where(x => x.e.Name == name).Select(x => x.i).DefaultIfEmpty(-1).Single() ?? -1;

    public int ContainerPort(V1Container container, string portName) =>
        container.Ports?.SingleOrDefault(p => p.Name == portName)?.ContainerPort
        ?? throw new InvalidOperationException($"[{Release.Name}] {container.Name} declares no port named {portName}");
}
