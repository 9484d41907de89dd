using System.Diagnostics;
using Grpc.Core;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.FaultTests.Harness;

/// <summary>One call's outcome: when it started (Stopwatch ticks), how long it took, its status, and for an answered
/// call its decision and deny reason; the account it charged.</summary>
public readonly record struct Sample(long StartedAt, double Micros, StatusCode Status, bool Granted, DenyReason Reason = DenyReason.Unspecified, string Account = "");

/// <summary>
/// Closed-loop Consume load from the test: <c>workers</c> concurrent callers, each calling again as soon as its last
/// call returned (or, paced, at its next tick: never more than one call in flight per caller), until stopped. Every call has a deadline; every outcome is kept for
/// latency and accounting.
/// </summary>
public sealed class ConsumeLoad
{
    private readonly List<Sample>[] _samples;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _stop = new();

    private ConsumeLoad(Quota.QuotaClient client, IReadOnlyList<string> accounts, int workers, long amount, TimeSpan callTimeout, TimeSpan pace)
    {
        Amount = amount;
        _samples = new List<Sample>[workers];
        _workers = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            var mine = _samples[i] = new List<Sample>(64 * 1024);
            _workers[i] = Task.Run(() => WorkAsync(client, accounts, amount, callTimeout, pace, mine));
        }
    }

    public long Amount { get; }

    /// <param name="callsPerSecond">Each caller's pace (a steady offered rate); null: as fast as answers come.</param>
    public static ConsumeLoad Start(Quota.QuotaClient client, string account, int workers = 4, long amount = 1, TimeSpan? callTimeout = null, double? callsPerSecond = null) =>
        new(client, [account], workers, amount, callTimeout ?? TimeSpan.FromSeconds(10), callsPerSecond is { } rate ? TimeSpan.FromSeconds(1 / rate) : TimeSpan.Zero);

    /// <summary>One caller that Consumes 1 from the next of <paramref name="accounts"/> (round robin) every
    /// <paramref name="every"/>: on a sidecar that has not served them yet, each call is an account's first, which
    /// needs the store (new customers arriving, as opposed to a steady account its lease covers).</summary>
    public static ConsumeLoad StartPaced(Quota.QuotaClient client, IReadOnlyList<string> accounts, TimeSpan every, TimeSpan callTimeout) =>
        new(client, accounts, 1, 1, callTimeout, every);

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

    private async Task WorkAsync(Quota.QuotaClient client, IReadOnlyList<string> accounts, long amount, TimeSpan callTimeout, TimeSpan pace, List<Sample> samples)
    {
        var next = Stopwatch.GetTimestamp();
        for (var call = 0; !_stop.IsCancellationRequested; call++)
        {
            var account = accounts[call % accounts.Count];
            var started = Stopwatch.GetTimestamp();
            StatusCode status;
            var granted = false;
            var reason = DenyReason.Unspecified;
            try
            {
                var reply = await client.ConsumeAsync(
                    new ConsumeRequest { AccountId = account, Amount = amount },
                    deadline: DateTime.UtcNow + callTimeout);
                status = StatusCode.OK;
                granted = reply.Decision == Decision.Granted;
                reason = reply.DenyReason;
            }
            catch (RpcException e)
            {
                status = e.StatusCode;
            }

            samples.Add(new Sample(started, Stopwatch.GetElapsedTime(started).TotalMicroseconds, status, granted, reason, account));
            if (pace > TimeSpan.Zero)
            {
                // The next tick; a caller more than 100 ms behind (a slow answer) skips the missed ticks instead of
                // bursting them, so the offered rate stays steady.
                next = Math.Max(next + (long)(pace.TotalSeconds * Stopwatch.Frequency), Stopwatch.GetTimestamp() - (Stopwatch.Frequency / 10));
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
            else if (status is not StatusCode.OK)
            {
                // A dead or overloaded sidecar: do not spin.
                await Task.Delay(5);
            }
        }
    }
}
