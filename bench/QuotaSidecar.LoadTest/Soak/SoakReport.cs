using System.Globalization;
using System.Text;
using QuotaSidecar.LoadTest.Report;

namespace QuotaSidecar.LoadTest.Soak;

/// <summary>Writes a soak's windows as <c>soak-&lt;utc time&gt;-&lt;scenario&gt;.csv</c> and <c>.md</c>, next to its chart.</summary>
internal static class SoakReport
{
    private const string CsvHeader =
        "end_s,window_s,requests,req_per_s,p50_us,p99_us,max_us,errors,denied,rss_mib,gc_heap_mib,gc_committed_mib,gen2_gcs,gc_pause_pct,cpu_s,cpu_pct,redis_used_mib,load1";

    /// <summary>Writes the files and returns the markdown's path.</summary>
    public static string Write(SoakResult result, string stem, MachineInfo machine, string sidecarDll, string transport)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(stem)!);
        File.WriteAllText(stem + ".csv", Csv(result));
        File.WriteAllText(stem + ".svg", SoakChart.Svg(result));
        File.WriteAllText(stem + ".md", Markdown(result, Path.GetFileName(stem), machine, sidecarDll, transport));
        return stem + ".md";
    }

    private static string Csv(SoakResult result)
    {
        var csv = new StringBuilder().Append(CsvHeader).Append('\n');
        foreach (var s in result.Samples)
        {
            csv.Append(F($"{s.EndSeconds:0.0},{s.WindowSeconds:0.00},{s.Requests},{s.RequestsPerSecond:0},{s.P50Us:0},{s.P99Us:0},{s.MaxUs:0},{s.Errors},{s.Denied},"))
                .Append(F($"{s.RssMiB:0.0},{s.GcHeapMiB:0.0},{s.GcCommittedMiB:0.0},{s.Gen2Collections},{s.GcPausePercent:0.00},{s.CpuSeconds:0.00},{s.CpuPercent:0},{s.RedisUsedMiB:0.00},{s.LoadAverage}"))
                .Append('\n');
        }

        return csv.ToString();
    }

    private static string Markdown(SoakResult result, string name, MachineInfo machine, string sidecarDll, string transport)
    {
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');
        var samples = result.Samples;
        var ran = samples.Count > 0 ? samples[^1].EndSeconds : 0;
        Line($"# Soak: {result.Scenario.Describe}");
        Line();
        Line(F($"- started {result.Started.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; planned {result.Planned.TotalSeconds:0} s, ran {ran:0} s in {samples.Count} windows"));
        Line(F($"- load: closed loop, {result.Concurrency} callers on one gRPC channel ({transport}), each sending its next call when the last is answered"));
        Line($"- sidecar: `{sidecarDll}`, default configuration (only ports, admin token, store and log level set)");
        Line($"- machine: {machine.Cpu}, {machine.LogicalCores} logical cores, {machine.Memory}, Linux {machine.Kernel}, {machine.Runtime}; load average at start {machine.LoadAverage}");
        Line("- GC heap: heap size after the sidecar's last GC, read in-process by the tool's startup hook (the sidecar's /metrics exports no runtime GC metrics)");
        Line();
        Line("**Verdict**: " + result.Verdict);
        Line();
        if (samples.Count > 0)
        {
            var p99s = samples.Where(s => s.Requests > 0).Select(s => s.P99Us).DefaultIfEmpty(0).Order().ToList();
            Line(F($"Requests {result.Requests:N0} ({result.Requests / Math.Max(1e-9, ran):N0}/s over the run), errors {result.Errors:N0}, denied {samples.Sum(s => s.Denied):N0}; ") +
                F($"window p99 median {p99s[p99s.Count / 2]:N0} µs, worst {p99s[^1]:N0} µs; RSS {samples[0].RssMiB:0} → {samples[^1].RssMiB:0} MiB; ") +
                F($"GC heap {samples.FirstOrDefault(s => s.GcHeapMiB is not null)?.GcHeapMiB:0} → {samples[^1].GcHeapMiB:0} MiB (last third spread {result.GcHeapSpreadLastThird:0.0} MiB)"));
            Line();
        }

        Line($"![RSS and GC heap over time, p99 below]({name}.svg)");
        Line();
        Line("| t s | req/s | p50 µs | p99 µs | max µs | errors | RSS MiB | GC heap MiB | GC committed MiB | gen2 GCs | GC pause % | CPU % | Redis MiB | load |");
        Line("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var s in samples)
        {
            Line(F($"| {s.EndSeconds:0} | {s.RequestsPerSecond:0} | {s.P50Us:0} | {s.P99Us:0} | {s.MaxUs:0} | {s.Errors} | {s.RssMiB:0.0} | {s.GcHeapMiB:0.0} | {s.GcCommittedMiB:0.0} | {s.Gen2Collections} | {s.GcPausePercent:0.0} | {s.CpuPercent:0} | {Dash(s.RedisUsedMiB)} | {s.LoadAverage} |"));
        }

        if (result.Notes.Count > 0)
        {
            Line();
            Line("Notes:");
            foreach (var note in result.Notes)
            {
                Line("- " + note);
            }
        }

        Line();
        Line("CPU % is of one core (user + system, /proc/<pid>/stat); req/s counts RPCs (a Reserve+Commit is two); latency is client-side, per window.");
        return md.ToString();
    }

    private static string Dash(double? value) => value is { } v ? F($"{v:0.00}") : "-";

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
