using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace QuotaSidecar.Deploy.Tests.Rendering;

/// <summary>
/// The objects `helm template` renders from helm/quota-sidecar for one value set, parsed strictly
/// (an unknown field fails the parse) into the client's typed models. Renders once per value set.
/// </summary>
internal sealed class RenderedRelease
{
    public const string KubeVersion = "1.29.0";
    public const string Namespace = "quota";

    private static readonly ConcurrentDictionary<string, Lazy<RenderedRelease>> Cache = new(StringComparer.Ordinal);

    private RenderedRelease(string valueSet, IReadOnlyList<object> objects)
    {
        Name = valueSet;
        Objects = objects;
    }

    public string Name { get; }

    public IReadOnlyList<object> Objects { get; }

    public static RenderedRelease Of(string valueSet) =>
        Cache.GetOrAdd(valueSet, name => new Lazy<RenderedRelease>(() => Render(name))).Value;

    /// <summary>Runs helm template with the chart and <paramref name="arguments"/>; the raw result, for tests of failures.</summary>
    public static HelmResult Template(params string[] arguments) =>
        Helm.Run(["template", "quota", "helm/quota-sidecar", "--namespace", Namespace, "--kube-version", KubeVersion, .. arguments]);

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>(Func<T, bool> predicate, string what)
    {
        var matches = All<T>().Where(predicate).ToList();
        Assert.True(matches.Count == 1, $"[{Name}] expected exactly one {what}, found {matches.Count}");
        return matches[0];
    }

    /// <summary>The one Deployment whose pods carry the sidecar.</summary>
    public V1Deployment WorkloadWithSidecar(string sidecarName) =>
        Single<V1Deployment>(
            d => (d.Spec.Template.Spec.InitContainers ?? []).Any(c => c.Name == sidecarName)
                 || d.Spec.Template.Spec.Containers.Any(c => c.Name == sidecarName),
            $"Deployment with a container named {sidecarName}");

    /// <summary>The sidecar's settings ConfigMap (not the dashboard's, nor the live settings').</summary>
    public V1ConfigMap ConfigMap => Single<V1ConfigMap>(c => !IsDashboard(c) && !IsLiveSettings(c), "ConfigMap of settings");

    /// <summary>The live settings ConfigMap (liveSettings).</summary>
    public V1ConfigMap LiveSettings => Single<V1ConfigMap>(IsLiveSettings, "live settings ConfigMap");

    /// <summary>The Grafana dashboard ConfigMap (metrics.dashboard.enabled).</summary>
    public V1ConfigMap Dashboard => Single<V1ConfigMap>(IsDashboard, "dashboard ConfigMap");

    private static bool IsDashboard(V1ConfigMap map) => map.Data?.ContainsKey("quota-sidecar.json") == true;

    private static bool IsLiveSettings(V1ConfigMap map) => map.Data?.ContainsKey("settings.json") == true;

    private static RenderedRelease Render(string valueSet)
    {
        var result = Template([.. ValueSet.ArgumentsOf(valueSet)]);
        Assert.True(result.ExitCode == 0, $"helm template failed for value set '{valueSet}':\n{result.Error}");
        var objects = KubernetesYaml.LoadAllFromString(result.Output, KubernetesTypeMap.Instance, strict: true);
        Assert.NotEmpty(objects);
        return new RenderedRelease(valueSet, objects);
    }
}
