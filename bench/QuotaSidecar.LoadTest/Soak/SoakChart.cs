using System.Globalization;
using System.Net;
using System.Text;

namespace QuotaSidecar.LoadTest.Soak;

/// <summary>
/// Draws a soak as a self-contained SVG (no library: the tool must not gain a dependency to draw two panels):
/// on top RSS, GC heap and GC committed in MiB against the 200 MiB budget; below the window p99 (ms, left axis) and
/// the request rate (req/s, right axis), on the same time axis.
/// </summary>
internal static class SoakChart
{
    private const double Width = 960;
    private const double Left = 80;
    private const double Right = 880;
    private const double MemoryTop = 70;
    private const double MemoryBottom = 340;
    private const double LatencyTop = 400;
    private const double LatencyBottom = 570;
    private const double Height = 640;
    private const string Rss = "#1f77b4";
    private const string Heap = "#ff7f0e";
    private const string Latency = "#2ca02c";
    private const string Rate = "#7f7f7f";
    private const string Budget = "#d62728";

    public static string Svg(SoakResult result)
    {
        var samples = result.Samples;
        var svg = new StringBuilder();
        svg.Append(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(F($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        Text(svg, Width / 2, 24, $"Soak: {result.Scenario.Describe}", "middle", 15, "bold");
        var load = samples.Count > 0 ? samples[0].LoadAverage : "?";
        Text(svg, Width / 2, 44, F($"{result.Started.UtcDateTime:yyyy-MM-dd HH:mm} UTC, {result.Concurrency} callers, closed loop, planned {result.Planned.TotalSeconds:0} s; machine load average at start {load}"), "middle", 11);
        Text(svg, Width / 2, 60, result.ShortVerdict.Length > 140 ? result.ShortVerdict[..140] + "…" : result.ShortVerdict, "middle", 11, color: result.Met ? "#222" : Budget);
        if (samples.Count == 0)
        {
            Text(svg, Width / 2, (MemoryTop + MemoryBottom) / 2, "no samples: " + (result.Failure ?? "the run recorded nothing"), "middle", 14);
            return svg.Append("</svg>\n").ToString();
        }

        // The axis spans the planned time, so a run cut short shows as such. A run ends a few seconds past its plan
        // (each window's drain and scrape): end the axis there rather than at the next round number, which would
        // leave a quarter of the chart empty (800 s for 603).
        var ran = samples[^1].EndSeconds;
        var planned = result.Planned.TotalSeconds;
        var xMax = ran <= planned * 1.05 ? Math.Max(NiceCeiling(planned), ran) : NiceCeiling(ran);
        double X(double seconds) => Left + ((Right - Left) * seconds / xMax);

        // Top panel: memory against the budget.
        var memoryMax = NiceCeiling(Math.Max(SoakResult.BudgetMiB, samples.Max(s => Math.Max(s.RssMiB ?? 0, s.GcCommittedMiB ?? 0))) * 1.05);
        double YMemory(double mib) => MemoryBottom - ((MemoryBottom - MemoryTop) * mib / memoryMax);
        Axes(svg, MemoryTop, MemoryBottom, xMax, X, memoryMax, YMemory, "MiB", null);
        svg.Append(F($"<line x1=\"{Left}\" y1=\"{YMemory(SoakResult.BudgetMiB):0.0}\" x2=\"{Right}\" y2=\"{YMemory(SoakResult.BudgetMiB):0.0}\" stroke=\"{Budget}\" stroke-dasharray=\"6 4\"/>\n"));
        Text(svg, Right - 4, YMemory(SoakResult.BudgetMiB) - 4, F($"budget {SoakResult.BudgetMiB:0} MiB"), "end", 11, color: Budget);
        Series(svg, samples.Select(s => (s.EndSeconds, s.RssMiB)), X, YMemory, Rss, 2.5, null);
        Series(svg, samples.Select(s => (s.EndSeconds, s.GcCommittedMiB)), X, YMemory, Heap, 1.5, "4 3");
        Series(svg, samples.Select(s => (s.EndSeconds, s.GcHeapMiB)), X, YMemory, Heap, 2.5, null);
        Legend(svg, Left + 10, MemoryTop + 14, [("RSS", Rss, null), ("GC heap (after last GC)", Heap, null), ("GC committed", Heap, "4 3")]);
        Text(svg, (Left + Right) / 2, MemoryBottom + 34, "sidecar memory", "middle", 12, "bold");

        // Bottom panel: p99 of each window (left axis) and the request rate (right axis).
        // The baseline row before the load (no requests) has no latency or rate to draw.
        var loaded = samples.Where(s => s.Requests > 0).ToList();
        var p99Max = NiceCeiling(Math.Max(0.1, loaded.Select(s => s.P99Us).DefaultIfEmpty(0).Max() / 1000) * 1.05);
        double YLatency(double ms) => LatencyBottom - ((LatencyBottom - LatencyTop) * ms / p99Max);
        var rateMax = NiceCeiling(Math.Max(1, loaded.Select(s => s.RequestsPerSecond).DefaultIfEmpty(0).Max()) * 1.05);
        double YRate(double rps) => LatencyBottom - ((LatencyBottom - LatencyTop) * rps / rateMax);
        Axes(svg, LatencyTop, LatencyBottom, xMax, X, p99Max, YLatency, "p99 ms", (rateMax, YRate, "req/s"));
        Series(svg, loaded.Select(s => (s.EndSeconds, (double?)s.RequestsPerSecond)), X, YRate, Rate, 1.5, null);
        Series(svg, loaded.Select(s => (s.EndSeconds, (double?)(s.P99Us / 1000))), X, YLatency, Latency, 2.5, null);
        Legend(svg, Left + 10, LatencyTop + 14, [("p99 of the window (left axis)", Latency, null), ("requests/s (right axis)", Rate, null)]);
        Text(svg, (Left + Right) / 2, Height - 12, "time since the load started (s); one point per 10 s window (memory also at 0 s, before the load)", "middle", 12);
        return svg.Append("</svg>\n").ToString();
    }

    private static void Axes(
        StringBuilder svg, double top, double bottom, double xMax, Func<double, double> x, double yMax, Func<double, double> y, string yLabel,
        (double Max, Func<double, double> Y, string Label)? right)
    {
        svg.Append(F($"<rect x=\"{Left}\" y=\"{top}\" width=\"{Right - Left}\" height=\"{bottom - top}\" fill=\"none\" stroke=\"#333\"/>\n"));
        foreach (var value in Ticks(yMax))
        {
            svg.Append(F($"<line x1=\"{Left}\" y1=\"{y(value):0.0}\" x2=\"{Right}\" y2=\"{y(value):0.0}\" stroke=\"#ddd\"/>\n"));
            Text(svg, Left - 6, y(value) + 4, Number(value), "end", 11);
        }

        foreach (var value in Ticks(xMax, 10))
        {
            svg.Append(F($"<line x1=\"{x(value):0.0}\" y1=\"{top}\" x2=\"{x(value):0.0}\" y2=\"{bottom}\" stroke=\"#eee\"/>\n"));
            Text(svg, x(value), bottom + 16, Number(value), "middle", 11);
        }

        var middle = (top + bottom) / 2;
        svg.Append(F($"<text x=\"22\" y=\"{middle:0.0}\" text-anchor=\"middle\" transform=\"rotate(-90 22 {middle:0.0})\">{Escape(yLabel)}</text>\n"));
        if (right is { } r)
        {
            foreach (var value in Ticks(r.Max))
            {
                Text(svg, Right + 6, r.Y(value) + 4, Number(value), "start", 11, color: Rate);
            }

            svg.Append(F($"<text x=\"{Width - 14}\" y=\"{middle:0.0}\" text-anchor=\"middle\" fill=\"{Rate}\" transform=\"rotate(90 {Width - 14} {middle:0.0})\">{Escape(r.Label)}</text>\n"));
        }
    }

    private static void Series(StringBuilder svg, IEnumerable<(double Seconds, double? Value)> points, Func<double, double> x, Func<double, double> y, string color, double width, string? dash)
    {
        var coordinates = points.Where(p => p.Value is not null).Select(p => F($"{x(p.Seconds):0.0},{y(p.Value!.Value):0.0}")).ToList();
        if (coordinates.Count == 0)
        {
            return;
        }

        svg.Append(F($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\"{(dash is null ? "" : $" stroke-dasharray=\"{dash}\"")} points=\"{string.Join(' ', coordinates)}\"/>\n"));
        if (coordinates.Count == 1)
        {
            var xy = coordinates[0].Split(',');
            svg.Append(F($"<circle cx=\"{xy[0]}\" cy=\"{xy[1]}\" r=\"3\" fill=\"{color}\"/>\n"));
        }
    }

    private static void Legend(StringBuilder svg, double x, double y, IReadOnlyList<(string Label, string Color, string? Dash)> entries)
    {
        foreach (var (label, color, dash) in entries)
        {
            svg.Append(F($"<line x1=\"{x}\" y1=\"{y - 4}\" x2=\"{x + 22}\" y2=\"{y - 4}\" stroke=\"{color}\" stroke-width=\"2.5\"{(dash is null ? "" : $" stroke-dasharray=\"{dash}\"")}/>\n"));
            Text(svg, x + 28, y, label, "start", 11);
            x += 40 + (label.Length * 6.5);
        }
    }

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor, double size, string weight = "normal", string color = "#222") =>
        svg.Append(F($"<text x=\"{x:0.0}\" y=\"{y:0.0}\" text-anchor=\"{anchor}\" font-size=\"{size}\" font-weight=\"{weight}\" fill=\"{color}\">{Escape(text)}</text>\n"));

    /// <summary>0 and the multiples of a 1/2/5 x 10^k step up to <paramref name="max"/>, about <paramref name="count"/> of them.</summary>
    private static IEnumerable<double> Ticks(double max, int count = 5)
    {
        var step = NiceStep(max / count);
        for (var i = 0; i * step <= max * 1.0001; i++)
        {
            yield return i * step;
        }
    }

    /// <summary>The smallest multiple of a 1/2/5 step at or above <paramref name="value"/>, so the axis ends on a tick.</summary>
    private static double NiceCeiling(double value)
    {
        var step = NiceStep(value / 5);
        return Math.Ceiling(value / step) * step;
    }

    private static double NiceStep(double rough)
    {
        if (rough <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var fraction = rough / magnitude;
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
    }

    private static string Number(double value) => value >= 1000 ? F($"{value:N0}") : value >= 1 || value == 0 ? F($"{value:0.##}") : F($"{value:0.###}");

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
