using System.Diagnostics;
using Grpc.Core;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.FaultTests.Harness;

/// <summary>One call's outcome: when it started (Stopwatch ticks), how long it took and its status.</summary>
public readonly record struct Sample(long StartedAt, double Micros, StatusCode Status, bool Granted);

/// <summary>
/// Closed-loop Consume load from the test: <c>workers</c> concurrent callers, each calling again as soon as its last
/// call returned, until stopped. Every call has a deadline; every outcome is kept for latency and accounting.
/// </summary>
public sealed class ConsumeLoad
{
    private readonly List<Sample>[] _samples;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _stop = new();

    private ConsumeLoad(Quota.QuotaClient client, string account, int workers, long amount, TimeSpan callTimeout)
    {
        Amount = amount;
        _samples = new List<Sample>[workers];
        _workers = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            var mine = _samples[i] = new List<Sample>(64 * 1024);
            _workers[i] = Task.Run(() => WorkAsync(client, account, amount, callTimeout, mine));
        }
    }

    public long Amount { get; }

    public static ConsumeLoad Start(Quota.QuotaClient client, string account, int workers = 4, long amount = 1, TimeSpan? callTimeout = null) =>
        new(client, account, workers, amount, callTimeout ?? TimeSpan.FromSeconds(10));

    /// <summary>Stops the callers and waits for their last calls (each bounded by its deadline).</summary>
    public async Task<IReadOnlyList<Sample>> StopAsync()
    {
        await _stop.CancelAsync();
        var all = Task.WhenAll(_workers);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(20))) != all)
        {
            throw new TimeoutException("load workers did not stop within 20 s");
        }

        return [.. _samples.SelectMany(s => s).OrderBy(s => s.StartedAt)];
    }

    private async Task WorkAsync(Quota.QuotaClient client, string account, long amount, TimeSpan callTimeout, List<Sample> samples)
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            StatusCode status;
            var granted = false;
            try
            {
                var reply = await client.ConsumeAsync(
                    new ConsumeRequest { AccountId = account, Amount = amount },
                    deadline: DateTime.UtcNow + callTimeout);
                status = StatusCode.OK;
                granted = reply.Decision == Decision.Granted;
            }
            catch (RpcException e)
            {
                status = e.StatusCode;
            }

            samples.Add(new Sample(started, Stopwatch.GetElapsedTime(started).TotalMicroseconds, status, granted));
            if (status is not StatusCode.OK)
            {
                // A dead or overloaded sidecar: do not spin.
                await Task.Delay(5);
            }
        }
    }
}

public static class Samples
{
    public static long GrantedCredits(this IEnumerable<Sample> samples, long amount) => samples.Count(s => s.Granted) * amount;

    public static double Percentile(this IEnumerable<Sample> samples, double p) => Percentile(samples.Select(s => s.Micros), p);

    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var index = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }

    /// <summary>Samples started in [from, to) (Stopwatch ticks).</summary>
    public static IEnumerable<Sample> Between(this IEnumerable<Sample> samples, long from, long to) =>
        samples.Where(s => s.StartedAt >= from && s.StartedAt < to);
}
