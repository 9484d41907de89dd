using System.Globalization;

namespace QuotaSidecar.LoadTest.Soak;

/// <summary>A finished (or cut short) soak: its windows, what happened, and the verdict on its memory.</summary>
internal sealed class SoakResult(SoakScenario scenario, DateTimeOffset started, TimeSpan planned, int concurrency)
{
    /// <summary>The issue's budget: RSS under 200 MiB, so a sidecar fits the chart's 256 MiB limit with headroom.</summary>
    public const double BudgetMiB = 200;

    /// <summary>The tool's reading of "flat": the last third of the run moves by at most a tenth of the budget.</summary>
    public const double FlatMiB = BudgetMiB / 10;

    public SoakScenario Scenario { get; } = scenario;

    public DateTimeOffset Started { get; } = started;

    public TimeSpan Planned { get; } = planned;

    public int Concurrency { get; } = concurrency;

    public List<SoakSample> Samples { get; } = [];

    /// <summary>Facts about the run (endpoints, where the GC figures came from) and anything that went wrong.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Set when the run could not go its full length (the sidecar died, a start failed, interrupted).</summary>
    public string? Failure { get; set; }

    public long Errors => Samples.Sum(s => s.Errors);

    public long Requests => Samples.Sum(s => s.Requests);

    /// <summary>The windows that end in the last third of the time actually run.</summary>
    public IReadOnlyList<SoakSample> LastThird
    {
        get
        {
            if (Samples.Count == 0)
            {
                return [];
            }

            var from = Samples[^1].EndSeconds * 2 / 3;
            var last = Samples.Where(s => s.EndSeconds > from).ToList();
            return last.Count > 0 ? last : [Samples[^1]];
        }
    }

    public double? RssSpreadLastThird => Spread(LastThird.Select(s => s.RssMiB));

    public double? RssMax => Samples.Max(s => s.RssMiB);

    public double? GcHeapSpreadLastThird => Spread(LastThird.Select(s => s.GcHeapMiB));

    public bool Met => Failure is null && Errors == 0 && RssMax is <= BudgetMiB && RssSpreadLastThird is <= FlatMiB;

    /// <summary>The one line printed per scenario.</summary>
    public string Verdict =>
        string.Create(CultureInfo.InvariantCulture, $"{Scenario.Name}: RSS plateau: last third max - min = {RssSpreadLastThird:0.0} MiB, max = {RssMax:0.0} MiB (budget {BudgetMiB:0} MiB); ")
        + string.Create(CultureInfo.InvariantCulture, $"errors {Errors:N0} of {Requests:N0} requests; {(Met ? "MET" : "NOT MET")} (max <= {BudgetMiB:0} MiB, last third flat within {FlatMiB:0} MiB, 0 errors)")
        + (Failure is null ? "" : "; " + Failure);

    /// <summary>The verdict without the scenario's name, short enough for the chart's subtitle.</summary>
    public string ShortVerdict =>
        string.Create(CultureInfo.InvariantCulture, $"RSS last third max - min = {RssSpreadLastThird:0.0} MiB, max = {RssMax:0.0} MiB (budget {BudgetMiB:0} MiB); errors {Errors:N0}; {(Met ? "MET" : "NOT MET")}")
        + (Failure is null ? "" : "; " + Failure);

    private static double? Spread(IEnumerable<double?> values)
    {
        var present = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        return present.Count == 0 ? null : present.Max() - present.Min();
    }
}
