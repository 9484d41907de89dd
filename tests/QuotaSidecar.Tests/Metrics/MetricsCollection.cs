namespace QuotaSidecar.Tests.Metrics;

/// <summary>Test classes that scrape /metrics: not run in parallel with other hosts (see <see cref="MetricsTests"/>).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
