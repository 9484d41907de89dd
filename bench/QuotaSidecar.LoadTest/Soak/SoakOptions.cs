using System.Globalization;

namespace QuotaSidecar.LoadTest.Soak;

/// <summary>The soak mode's command line (everything after <c>--soak</c>).</summary>
internal sealed record SoakOptions
{
    public const string Usage =
        "QuotaSidecar.LoadTest --soak [--duration 10m] [--only SCENARIO]... [--concurrency 16] [--transport tcp|unix] " +
        "[--sidecar PATH] [--sidecar-env K=V]... [--out DIR] [--redis-ports 6541-6549]\n" +
        "  scenarios: embedded-reserve-commit, embedded-consume-ids, redis-reserve-commit, redis-consume-ids\n" +
        "QuotaSidecar.LoadTest --soak --redraw bench/results/soak-<time>-<scenario>.csv...   (the chart again, from the CSV)";

    /// <summary>Load time per scenario. The default is the issue's 10 minutes.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often a window is closed and a row recorded.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Closed-loop callers: enough to keep the sidecar busy on every core it can get (see bench/README.md).</summary>
    public int Concurrency { get; init; } = 16;

    public Network.Transport Transport { get; init; } = Network.Transport.Tcp;

    /// <summary>Scenario names to run (any that contains one of these); empty: all.</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    public string? Sidecar { get; init; }

    public string? Output { get; init; }

    public IReadOnlyDictionary<string, string> SidecarEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The range the soak's own redis-server takes its port from (the first free one).</summary>
    public (int First, int Last) RedisPorts { get; init; } = (6541, 6549);

    public IReadOnlyList<SoakScenario> Scenarios =>
        [.. SoakScenario.All.Where(s => Only.Count == 0 || Only.Any(o => s.Name.Contains(o, StringComparison.OrdinalIgnoreCase)))];

    /// <summary>Parses the arguments after <c>--soak</c>; null with <paramref name="error"/> set when they are wrong.</summary>
    public static SoakOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new SoakOptions();
        var only = new List<string>();
        var environment = new Dictionary<string, string>();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--duration" when ParseDuration(value) is { } d:
                    options = options with { Duration = d };
                    i++;
                    break;
                case "--only" when value is not null:
                    only.Add(value);
                    i++;
                    break;
                case "--concurrency" when int.TryParse(value, CultureInfo.InvariantCulture, out var c) && c is >= 1 and <= 1024:
                    options = options with { Concurrency = c };
                    i++;
                    break;
                case "--transport" when value is "tcp" or "unix":
                    options = options with { Transport = value == "tcp" ? Network.Transport.Tcp : Network.Transport.Unix };
                    i++;
                    break;
                case "--sidecar" when value is not null:
                    options = options with { Sidecar = Path.GetFullPath(value) };
                    i++;
                    break;
                case "--out" when value is not null:
                    options = options with { Output = Path.GetFullPath(value) };
                    i++;
                    break;
                case "--sidecar-env" when value is not null && value.Contains('=', StringComparison.Ordinal):
                    var pair = value.Split('=', 2);
                    environment[pair[0]] = pair[1];
                    i++;
                    break;
                case "--redis-ports" when ParseRange(value) is { } range:
                    options = options with { RedisPorts = range };
                    i++;
                    break;
                default:
                    error = $"unknown or incomplete soak argument '{args[i]}'{(value is null ? "" : $" (next: '{value}')")}. Usage:\n{Usage}";
                    return null;
            }
        }

        options = options with { Only = only, SidecarEnvironment = environment };
        if (options.Scenarios.Count == 0)
        {
            error = $"--only {string.Join(", ", only)} matches no scenario. Usage:\n{Usage}";
            return null;
        }

        return options;
    }

    /// <summary>"90" or "90s" (seconds), "10m", "1h", or a TimeSpan such as "00:10:00"; from 10 s to 24 h.</summary>
    private static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        TimeSpan? parsed = text[^1] switch
        {
            's' when double.TryParse(text[..^1], CultureInfo.InvariantCulture, out var s) => TimeSpan.FromSeconds(s),
            'm' when double.TryParse(text[..^1], CultureInfo.InvariantCulture, out var m) => TimeSpan.FromMinutes(m),
            'h' when double.TryParse(text[..^1], CultureInfo.InvariantCulture, out var h) => TimeSpan.FromHours(h),
            _ when double.TryParse(text, CultureInfo.InvariantCulture, out var seconds) => TimeSpan.FromSeconds(seconds),
            _ when TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) => span,
            _ => null,
        };
        return parsed is { } p && p >= TimeSpan.FromSeconds(10) && p <= TimeSpan.FromHours(24) ? p : null;
    }

    private static (int, int)? ParseRange(string? text)
    {
        var parts = text?.Split('-');
        return parts is { Length: 2 }
            && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var first)
            && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var last)
            && first is > 0 and < 65536 && last >= first && last < 65536
            ? (first, last)
            : null;
    }
}
