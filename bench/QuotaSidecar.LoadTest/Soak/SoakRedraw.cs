using System.Globalization;
using System.Text.RegularExpressions;

namespace QuotaSidecar.LoadTest.Soak;

/// <summary>
/// Draws a soak's chart again from its committed CSV and markdown (<c>--soak --redraw FILE.csv</c>), so a change to
/// the drawing does not cost another long run. The numbers all come from the CSV; the markdown gives the plan.
/// </summary>
internal static partial class SoakRedraw
{
    public static int Run(IReadOnlyList<string> csvFiles)
    {
        foreach (var csv in csvFiles)
        {
            var stem = csv.EndsWith(".csv", StringComparison.Ordinal) ? csv[..^4] : csv;
            var name = Path.GetFileName(stem);
            var match = FileName().Match(name);
            var scenario = match.Success ? SoakScenario.All.FirstOrDefault(s => s.Name == match.Groups["scenario"].Value) : null;
            if (scenario is null || !File.Exists(stem + ".csv") || !File.Exists(stem + ".md"))
            {
                Console.Error.WriteLine($"{csv}: expected soak-<yyyyMMdd-HHmmss>-<scenario>.csv with its .md beside it");
                return 2;
            }

            var markdown = File.ReadAllText(stem + ".md");
            var started = DateTimeOffset.ParseExact(match.Groups["stamp"].Value, "yyyyMMdd-HHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            var planned = TimeSpan.FromSeconds(double.Parse(Planned().Match(markdown).Groups[1].Value, CultureInfo.InvariantCulture));
            var concurrency = int.Parse(Callers().Match(markdown).Groups[1].Value, CultureInfo.InvariantCulture);
            var result = new SoakResult(scenario, started, planned, concurrency);
            var failure = Failure().Match(markdown);
            if (failure.Success)
            {
                result.Failure = failure.Groups[1].Value;
            }

            foreach (var line in File.ReadLines(stem + ".csv").Skip(1).Where(l => l.Length > 0))
            {
                result.Samples.Add(Sample(line.Split(',')));
            }

            File.WriteAllText(stem + ".svg", SoakChart.Svg(result));
            Console.WriteLine($"redrawn: {stem}.svg");
        }

        return 0;
    }

    private static SoakSample Sample(string[] f) => new(
        D(f[0]), D(f[1]), long.Parse(f[2], CultureInfo.InvariantCulture), D(f[3]), D(f[4]), D(f[5]), D(f[6]),
        long.Parse(f[7], CultureInfo.InvariantCulture), long.Parse(f[8], CultureInfo.InvariantCulture),
        N(f[9]), N(f[10]), N(f[11]), f[12].Length == 0 ? null : int.Parse(f[12], CultureInfo.InvariantCulture), N(f[13]), N(f[14]), N(f[16]), f[17]);

    private static double D(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static double? N(string text) => text.Length == 0 ? null : D(text);

    [GeneratedRegex(@"^soak-(?<stamp>\d{8}-\d{6})-(?<scenario>[a-z-]+)$")]
    private static partial Regex FileName();

    [GeneratedRegex(@"planned (\d+) s")]
    private static partial Regex Planned();

    [GeneratedRegex(@"closed loop, (\d+) callers")]
    private static partial Regex Callers();

    [GeneratedRegex(@"0 errors\); (.+)$", RegexOptions.Multiline)]
    private static partial Regex Failure();
}
