namespace QuotaSidecar.Deploy.Tests.Rendering;

/// <summary>Chart values to render with: a name (what tests pass as theory data) and the helm arguments that set them.</summary>
internal sealed class ValueSet
{
    /// <summary>The chart's defaults with the example Deployment switched on.</summary>
    public const string Example = "example";

    /// <summary>helm/quota-sidecar/ci/full-values.yaml: every feature on.</summary>
    public const string Full = "full";

    /// <summary>helm/quota-sidecar/ci/podmonitor-values.yaml: PodMonitor, alerts and dashboard, another container name.</summary>
    public const string PodMonitor = "podmonitor";

    /// <summary><see cref="Full"/> with one live setting changed (shadow mode on for every account).</summary>
    public const string FullShadowed = "full-shadowed";

    private static readonly Dictionary<string, string[]> Arguments = new(StringComparer.Ordinal)
    {
        [Example] = ["--set", "example.enabled=true"],
        [Full] = ["-f", "helm/quota-sidecar/ci/full-values.yaml"],
        [FullShadowed] = ["-f", "helm/quota-sidecar/ci/full-values.yaml", "--set", "liveSettings.Quota.Shadow=true"],
        [PodMonitor] = ["-f", "helm/quota-sidecar/ci/podmonitor-values.yaml"],
    };

    public static IReadOnlyList<string> ArgumentsOf(string name) =>
        Arguments.TryGetValue(name, out var arguments)
            ? arguments
            : throw new ArgumentException($"unknown value set '{name}' (known: {string.Join(", ", Arguments.Keys)})", nameof(name));
}
