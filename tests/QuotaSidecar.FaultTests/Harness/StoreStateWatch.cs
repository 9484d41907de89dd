using System.Diagnostics;
using System.Globalization;

namespace QuotaSidecar.FaultTests.Harness;

/// <summary>What one sidecar said of the store at one moment: <c>quota_store_breaker_state</c> (0 closed, 1 half-open,
/// 2 open; NaN where the sidecar has no such metric) and <c>quota_store_available</c>.</summary>
public readonly record struct StoreState(long At, int Sidecar, double Breaker, double Available);

/// <summary>
/// Reads every sidecar's store state from /metrics every <c>every</c> (100 ms by default) while a scenario runs, so it
/// can say when each sidecar noticed a fault (its breaker opened, the store marked unavailable) and recovered, and
/// which breaker states it went through. A scrape that fails (a sidecar busy or gone) is skipped.
/// </summary>
public sealed class StoreStateWatch
{
    public const string BreakerMetric = "quota_store_breaker_state";
    public const double Open = 2;

    private readonly List<StoreState> _states = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private StoreStateWatch(IReadOnlyList<SidecarProcess> sidecars, TimeSpan every) => _loop = Task.Run(() => LoopAsync(sidecars, every));

    public static StoreStateWatch Start(IReadOnlyList<SidecarProcess> sidecars, TimeSpan? every = null) => new(sidecars, every ?? TimeSpan.FromMilliseconds(100));

    public IReadOnlyList<StoreState> States
    {
        get
        {
            lock (_states)
            {
                return [.. _states];
            }
        }
    }

    /// <summary>The latest state of each sidecar.</summary>
    public IReadOnlyList<StoreState> Latest => [.. States.GroupBy(s => s.Sidecar).Select(g => g.MaxBy(s => s.At))];

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>How long after <paramref name="since"/> (Stopwatch ticks) a sidecar first showed <paramref name="when"/>;
    /// null if none did.</summary>
    public TimeSpan? FirstAfter(long since, Func<StoreState, bool> when) =>
        States.Where(s => s.At >= since).OrderBy(s => s.At).FirstOrDefault(when) is { At: > 0 } first
            ? Stopwatch.GetElapsedTime(since, first.At)
            : null;

    /// <summary>The breaker states shown in [from, to), per sidecar, each change in order ("-" where there is no
    /// breaker metric; a state shorter than a read's interval may be missed), with the time each sidecar first showed the breaker open and the store unavailable.</summary>
    public string Describe(long from, long to, int sidecars)
    {
        var lines = new List<string>();
        for (var i = 0; i < sidecars; i++)
        {
            var mine = States.Where(s => s.Sidecar == i && s.At >= from && s.At < to).OrderBy(s => s.At).ToList();
            var shown = mine.Select(s => double.IsNaN(s.Breaker) ? "-" : s.Breaker.ToString(CultureInfo.InvariantCulture)).ToList();
            var breaker = shown.Where((state, n) => n == 0 || state != shown[n - 1]); // each change, in order
            var open = mine.FirstOrDefault(s => s.Breaker == Open);
            var down = mine.FirstOrDefault(s => s.Available == 0);
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"sidecar {i}: {mine.Count} reads, breaker states {string.Join("→", breaker)}; open after {Since(from, open)}; store unavailable after {Since(from, down)}"));
        }

        return string.Join('\n', lines);
    }

    private static string Since(long from, StoreState state) =>
        state.At == 0 ? "never" : string.Create(CultureInfo.InvariantCulture, $"{Stopwatch.GetElapsedTime(from, state.At).TotalMilliseconds:F0} ms");

    private async Task LoopAsync(IReadOnlyList<SidecarProcess> sidecars, TimeSpan every)
    {
        while (!_stop.IsCancellationRequested)
        {
            var reads = sidecars.Select(async (sidecar, i) =>
            {
                try
                {
                    var scrape = await Scrape.ReadAsync(sidecar.HttpPort);
                    var breaker = scrape.Has(BreakerMetric) ? scrape.Sum(BreakerMetric) : double.NaN;
                    lock (_states)
                    {
                        _states.Add(new StoreState(Stopwatch.GetTimestamp(), i, breaker, scrape.Sum("quota_store_available")));
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }
            });
            await Task.WhenAll(reads);
            try
            {
                await Task.Delay(every, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
