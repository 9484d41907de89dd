using System.Reflection;
using k8s.Models;
using QuotaSidecar.Deploy.Tests.Monitoring;

namespace QuotaSidecar.Deploy.Tests.Rendering;

/// <summary>
/// apiVersion/kind to model type, as KubernetesYaml expects it: every built-in kind of the client,
/// plus the Prometheus Operator's ServiceMonitor, PodMonitor and PrometheusRule, which the chart renders and the client lacks.
/// </summary>
internal static class KubernetesTypeMap
{
    private static readonly Lazy<Dictionary<string, Type>> Map = new(Build);

    public static IDictionary<string, Type> Instance => Map.Value;

    private static Dictionary<string, Type> Build()
    {
        var map = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var type in typeof(V1Pod).Assembly.GetTypes())
        {
            var entity = type.GetCustomAttribute<KubernetesEntityAttribute>();
            if (entity is null || type.IsAbstract)
            {
                continue;
            }

            var apiVersion = string.IsNullOrEmpty(entity.Group) ? entity.ApiVersion : $"{entity.Group}/{entity.ApiVersion}";
            map.TryAdd($"{apiVersion}/{entity.Kind}", type);
        }

        map[$"{ServiceMonitor.ApiVersionValue}/{ServiceMonitor.KindValue}"] = typeof(ServiceMonitor);
        map[$"{PodMonitor.ApiVersionValue}/{PodMonitor.KindValue}"] = typeof(PodMonitor);
        map[$"{PrometheusRule.ApiVersionValue}/{PrometheusRule.KindValue}"] = typeof(PrometheusRule);
        return map;
    }
}
