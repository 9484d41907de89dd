using System.Globalization;

namespace QuotaSidecar.LoadTest.Report;

/// <summary>One figure of a run, once per round (slice), in order.</summary>
internal sealed record RoundSeries(IReadOnlyList<double> Rounds)
{
    /// <summary>The median over the rounds (the mean of the middle two for an even count); 0 when empty.</summary>
    public double Median
    {
        get
        {
            var sorted = Rounds.Order().ToArray();
            return sorted.Length == 0 ? 0
                : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
                : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    /// <summary>Largest over smallest round, minus 1 (0.25: the rounds differ by up to 25%): how far the same
    /// measurement moves between rounds on this machine, the noise floor a comparison has to clear.</summary>
    public double Spread => Rounds.Count == 0 || Rounds.Min() <= 0 ? 0 : (Rounds.Max() / Rounds.Min()) - 1;

    /// <summary>The rounds, e.g. "1853 / 2104 / 1770".</summary>
    public string Text => string.Join(" / ", Rounds.Select(r => r.ToString(r < 100 ? "0.#" : "0", CultureInfo.InvariantCulture)));

    /// <summary>The series of <paramref name="value"/> over <paramref name="slices"/>; null when any slice lacks it.</summary>
    public static RoundSeries? Of(IReadOnlyList<SliceResult> slices, Func<SliceResult, double?> value)
    {
        var rounds = slices.Select(value).ToList();
        return rounds.Count == 0 || rounds.Exists(v => v is null) ? null : new RoundSeries([.. rounds.Select(v => v!.Value)]);
    }
}
