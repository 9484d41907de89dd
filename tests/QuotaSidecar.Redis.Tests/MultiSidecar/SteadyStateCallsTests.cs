using System.Diagnostics;
using System.Globalization;
using QuotaSidecar.Core.Engine;
using Xunit.Abstractions;

namespace QuotaSidecar.Redis.Tests.MultiSidecar;

/// <summary>Once the lease has settled on the traffic, Reserves take few Redis round trips: the count per 1,000.</summary>
public sealed class SteadyStateCallsTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task At_10000_reserves_per_second_one_sidecar_makes_at_most_one_redis_call_per_1000_reserves()
    {
        // Default engine settings: settle every 250 ms, lease = rate x 2 s, refill below half of it.
        var high = await MeasureAsync(perSecond: 10_000, warmUp: TimeSpan.FromSeconds(1.5), steadyReserves: 30_000);
        Assert.True(high.Errors == 0, $"{high.Errors} reserves were not granted");
        Assert.True(high.PerThousand <= 1.0, $"{high.PerThousand:F2} Redis calls per 1,000 Reserves at 10,000/s ({high.Calls} calls)");

        // (At 2,500/s the 250 ms settle cadence alone is 4 calls/s, ~2 per 1,000: measured 2.1-2.5, recorded in
        // src/QuotaSidecar.Redis/README.md; not asserted, since timing on a shared machine moves it.)
    }

    private async Task<(long Calls, double PerThousand, long Errors)> MeasureAsync(double perSecond, TimeSpan warmUp, int steadyReserves)
    {
        await using var rig = await EngineRig.CreateAsync(redis.Connection, $"{redis.KeyPrefix}-{Guid.NewGuid():N}", 10_000_000);
        // Counts store calls, not the wait budget: on a loaded machine the first exchange can take over 100 ms.
        var engine = rig.Start(new EngineOptions { InstanceId = $"steady-{Guid.NewGuid():N}"[..20], MaxStoreWait = TimeSpan.FromSeconds(5), ExchangeTimeout = TimeSpan.FromSeconds(5) });
        var ledger = rig.LedgerOf(engine);
        var warmUpReserves = (long)(warmUp.TotalSeconds * perSecond);
        long done = 0, errors = 0, callsAtSteady = 0;
        var steadyClock = new Stopwatch();
        var clock = Stopwatch.StartNew();
        var total = warmUpReserves + steadyReserves;
        for (var spin = 0; spin < 1_000_000 && done < total; spin++)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the paced load fell too far behind");
            while (done < clock.Elapsed.TotalSeconds * perSecond && done < total)
            {
                if (done == warmUpReserves)
                {
                    callsAtSteady = ledger.CallCount;
                    steadyClock.Start();
                }

                var r = await engine.ReserveAsync(rig.AccountId, 3).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                if (r.Decision == Decision.Granted)
                {
                    engine.Commit(r.ReservationId, 2);
                }
                else
                {
                    errors++;
                }

                done++;
            }

            await Task.Delay(1);
        }

        var calls = ledger.CallCount - callsAtSteady;
        var seconds = steadyClock.Elapsed.TotalSeconds;
        var perThousand = calls * 1000.0 / steadyReserves;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"steady state at {perSecond:N0} Reserve+Commit/s (default settle 250 ms): {calls} Redis calls for {steadyReserves:N0} Reserves in {seconds:F2} s " +
            $"after {warmUpReserves:N0} warm-up = {perThousand:F2} per 1,000 ({calls / seconds:F1} calls/s); {engine.Describe(rig.AccountId)}"));
        await rig.ShutdownAllAsync(TimeSpan.FromSeconds(5));
        return (calls, perThousand, errors);
    }
}
