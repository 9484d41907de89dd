using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuotaSidecar.LoadTest.Report;

/// <summary>The run's results as a markdown report (also printed) and as JSON, under bench/results/.</summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static (string Markdown, string MarkdownPath, string JsonPath) Write(
        string mode, DateTimeOffset started, TimeSpan took, MachineInfo machine, string loadAfter,
        IReadOnlyList<RunResult> results, IReadOnlyList<string> notes, string directory)
    {
        var ratios = Comparisons.Ratios(results);
        var targets = Comparisons.Targets(results);
        var tree = Comparisons.Tree(results);
        var markdown = Markdown(mode, started, took, machine, loadAfter, results, ratios, tree, targets, notes);
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $"{started.UtcDateTime:yyyyMMdd-HHmmss}-{mode}");
        File.WriteAllText(stem + ".md", markdown);
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(
            new { mode, startedUtc = started, tookSeconds = took.TotalSeconds, machine, loadAverageAfter = loadAfter, notes, results, ratios, tree, targets }, Json));
        return (markdown, stem + ".md", stem + ".json");
    }

    private static string Markdown(
        string mode, DateTimeOffset started, TimeSpan took, MachineInfo machine, string loadAfter,
        IReadOnlyList<RunResult> results, IReadOnlyList<Ratio> ratios, IReadOnlyList<TreeComparison> tree, IReadOnlyList<TargetCheck> targets, IReadOnlyList<string> notes)
    {
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');
        Line(F($"# QuotaSidecar end-to-end load test ({mode})"));
        Line();
        Line(F($"{started.UtcDateTime:yyyy-MM-dd HH:mm} UTC, {took.TotalSeconds:0} s. Machine: {machine.Cpu}, {machine.LogicalCores} vCPUs (shared by the servers, the load generator and anything else running), {machine.Memory}, Linux {machine.Kernel}, {machine.Runtime}. Load average before: {machine.LoadAverage}; after: {loadAfter}."));
        Line();
        Line("Latency is per request (one RPC; a Reserve+Commit operation is two requests), in microseconds, from the intended send time. " +
            "Throughput is completed requests per second. Handler p99 is the server's own measure of its handler; server CPU is the server process's user+system time per request. RSS is the server process's at the end of the run. " +
            "Each run is measured in slices interleaved with the other runs of its group, so load changes on the shared machine hit all of them alike.");
        Line();
        Line("| Redis delay | server | workload | transport | loop | req/s | p50 | p90 | p99 | p99.9 | handler p99 | server CPU µs/req | Redis calls / 1k req | RSS MiB | errors |");
        Line("|---|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in results)
        {
            var loop = r.Loop == "open" ? F($"open {r.RateOpsPerSecond:0} op/s") : F($"closed c{r.Concurrency}");
            var latency = r.Loop == "open" ? F($" (service p50 {r.ServiceP50Us:0})") : "";
            Line(F($"| {(r.RedisDelayMs > 0 ? $"{r.RedisDelayMs:0.#} ms" : "-")} | {r.Server} | {r.Workload} | {r.Transport} | {loop} | {r.ThroughputRps:0} | {r.P50Us:0}{latency} | {r.P90Us:0} | {r.P99Us:0} | {r.P999Us:0} | {Opt(r.HandlerP99Us, "0.0")} | {Opt(r.ServerCpuUsPerRequest, "0")} | {Opt(r.RedisCallsPer1000, "0.00")} | {Opt(r.ServerRssMiB, "0")} | {r.Errors}{(r.Denied > 0 ? $" ({r.Denied} denied)" : "")} |"));
        }

        Line();
        Line("## Ratios (same transport, loop and Redis delay, same run)");
        Line();
        Line("| comparison | conditions | workload | p50 | p99 | throughput | server CPU/req |");
        Line("|---|---|---|--:|--:|--:|--:|");
        foreach (var r in ratios)
        {
            Line(F($"| {r.Comparison} | {r.Conditions} | {r.Workload} | {r.P50:0.00}x | {r.P99:0.00}x | {r.Throughput:0.00}x | {Opt(r.ServerCpuPerRequest, "0.00")}x |"));
        }

        if (tree.Count > 0)
        {
            Line();
            Line("## Account tree: depth 3 vs flat (the same sidecar, alternating rounds)");
            Line();
            Line("Reserve+Commit on the leaf of org → team → key (every node HARD, funded: \"depth3\") vs on a flat account, and on a second flat account " +
                "(\"twin\", the A/A control: its ratio is what noise alone does to the same measure). Per round, then the median over the rounds; " +
                "ratio = subject / flat of the medians; paired = the median of the round-by-round p99 ratios. \"spread\" is how far the same kind moves " +
                "between its own rounds (largest / smallest − 1). Microseconds.");
            Line();
            Line("| server | conditions | subject | p50 flat | p50 subject | p50 ratio | p99 flat (rounds) | p99 subject (rounds) | p99 ratio | paired p99 | Reserve p99 flat → subject | Reserve p99 ratio | handler p99 flat → subject | server CPU µs/req flat → subject | Redis calls / 1k req flat → subject | p99 spread flat / subject |");
            Line("|---|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|");
            foreach (var t in tree)
            {
                var reserve = t.FlatReserveP99 is { } fr && t.SubjectReserveP99 is { } dr ? F($"{fr.Median:0} → {dr.Median:0}") : "-";
                var handler = t.FlatHandlerP99 is { } fh && t.SubjectHandlerP99 is { } dh ? F($"{fh.Median:0.0} → {dh.Median:0.0}") : "-";
                var cpu = t.FlatCpuPerRequest is { } fc && t.SubjectCpuPerRequest is { } dc ? F($"{fc.Median:0} → {dc.Median:0}") : "-";
                var redis = t.FlatRedisCallsPer1000 is { } f1 && t.SubjectRedisCallsPer1000 is { } d1 ? F($"{f1:0.00} → {d1:0.00}") : "-";
                Line(F($"| {t.Server} | {t.Conditions} | {t.Subject} | {t.FlatP50.Median:0} | {t.SubjectP50.Median:0} | {t.P50Ratio:0.00}x | {t.FlatP99.Text} (**{t.FlatP99.Median:0}**) | {t.SubjectP99.Text} (**{t.SubjectP99.Median:0}**) | **{t.P99Ratio:0.00}x** | {t.PairedP99Text} | {reserve} | {Opt(t.ReserveP99Ratio, "0.00")}x | {handler} | {cpu} | {redis} | {t.FlatP99.Spread:0%} / {t.SubjectP99.Spread:0%} |"));
            }
        }

        Line();
        Line("## Targets (docs/design.md §6)");
        Line();
        Line("| target | measured | met |");
        Line("|---|---|---|");
        foreach (var t in targets)
        {
            Line($"| {t.Target} | {t.Measured} | {(t.Met switch { true => "yes", false => "**no**", null => "n/a" })} |");
        }

        Line();
        Line("## Notes");
        Line();
        foreach (var note in notes)
        {
            Line("- " + note);
        }

        return md.ToString();
    }

    private static string Opt(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
