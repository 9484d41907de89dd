namespace QuotaSidecar.LoadTest.Report;

/// <summary>A ratio between two runs made under the same conditions (transport, loop, Redis delay).</summary>
internal sealed record Ratio(string Comparison, string Conditions, string Workload, double P50, double P99, double Throughput, double? ServerCpuPerRequest);
