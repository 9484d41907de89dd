using System.Diagnostics;
using System.Globalization;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;
using Xunit.Abstractions;

namespace QuotaSidecar.Redis.Tests.MultiSidecar;

/// <summary>A sidecar that dies without settling: its lease is reclaimed and the others go on (docs/design.md §4 "Crash").</summary>
public sealed class CrashTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    private const long Credits = 100_000;
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task A_crashed_sidecars_lease_comes_back_after_ttl_and_grace_and_it_loses_at_most_one_settle_interval_of_usage()
    {
        await using var rig = await EngineRig.CreateAsync(
            redis.Connection, $"{redis.KeyPrefix}-{Guid.NewGuid():N}", Credits, new CentralLedgerOptions { LeaseTtl = LeaseTtl, ReclaimGrace = Grace });
        var id = rig.AccountId;
        // About the crash, not the wait budget: a loaded machine can take longer than 100 ms for an exchange.
        EngineOptions Options(string name) => new()
        {
            InstanceId = $"{name}-{Guid.NewGuid():N}"[..20], SettleInterval = Settle, LeaseRenewInterval = TimeSpan.FromMilliseconds(500),
            MaxStoreWait = TimeSpan.FromSeconds(5), ExchangeTimeout = TimeSpan.FromSeconds(5),

            // Leases sized by the refill horizon: with the 20 s outage horizon this balance would be in precision
            // mode, holding no lease for the crash to strand.
            OutageHorizon = TimeSpan.Zero,
        };
        var doomed = rig.Start(Options("doomed"));
        var survivor = rig.Start(Options("survivor"));

        // Steady traffic on both: the doomed one ~2,000 credits/s, the survivor ~500/s, paced by the clock.
        var commits = new List<(long Ticks, long Amount)>(); // the doomed sidecar's, in order
        long doomedCommitted = 0, survivorCommitted = 0;
        using var crash = new CancellationTokenSource();
        using var stopSurvivor = new CancellationTokenSource();

        async Task Load(QuotaEngine engine, double perSecond, CancellationToken stop, Action<long> granted)
        {
            var clock = Stopwatch.StartNew();
            long sent = 0;
            for (var i = 0; i < 100_000 && !stop.IsCancellationRequested; i++)
            {
                while (sent < clock.Elapsed.TotalSeconds * perSecond && !stop.IsCancellationRequested)
                {
                    var r = await engine.ConsumeAsync(id, 2).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                    Assert.Equal(Decision.Granted, r.Decision);
                    granted(2);
                    sent += 2;
                }

                await Task.Delay(2, CancellationToken.None);
            }
        }

        var doomedLoad = Task.Run(() => Load(doomed, 2000, crash.Token, a =>
        {
            lock (commits)
            {
                commits.Add((Stopwatch.GetTimestamp(), a));
                doomedCommitted += a;
            }
        }));
        var survivorLoad = Task.Run(() => Load(survivor, 500, stopSurvivor.Token, a => Interlocked.Add(ref survivorCommitted, a)));
        await Task.Delay(TimeSpan.FromSeconds(2));

        // The crash: its traffic and its background loops stop at the same instant; nothing is settled.
        var crashedAt = Stopwatch.GetTimestamp();
        await crash.CancelAsync();
        await doomedLoad.WaitAsync(TimeSpan.FromSeconds(10));
        await rig.CrashAsync(doomed);
        var unreportedAtCrash = doomed.UnreportedUsage(id);
        var leasesKey = AccountKeys.For(rig.Options.KeyPrefix, id)[2];
        var db = redis.Connection.GetDatabase();
        Assert.True(await db.HashExistsAsync(leasesKey, doomed.InstanceId), "the crashed sidecar had no lease to lose");
        var atCrash = await rig.CentralAsync();

        // The survivor keeps serving; once TTL + grace have passed, the next script touching the account reclaims.
        var reclaimed = false;
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < LeaseTtl + Grace + TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100);
            await rig.CentralAsync(); // a script that touches the account
            if (!await db.HashExistsAsync(leasesKey, doomed.InstanceId))
            {
                reclaimed = true;
                break;
            }
        }

        var reclaimTime = waited.Elapsed;
        await stopSurvivor.CancelAsync();
        await survivorLoad.WaitAsync(TimeSpan.FromSeconds(10));
        await rig.ShutdownAllAsync(TimeSpan.FromSeconds(5));
        var after = await rig.CentralAsync();

        // Lost to billing: committed on some sidecar, never reported. Only the crashed sidecar can have lost any.
        var committed = doomedCommitted + Interlocked.Read(ref survivorCommitted);
        var lost = committed - after.Consumed;
        long lastInterval;
        lock (commits)
        {
            var window = Stopwatch.Frequency * (Settle.TotalSeconds * 1.2); // 20% for timer jitter
            lastInterval = commits.Where(c => crashedAt - c.Ticks <= window).Sum(c => c.Amount);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"crash: lease ttl {LeaseTtl.TotalSeconds} s + grace {Grace.TotalSeconds} s, settle {Settle.TotalMilliseconds} ms; crashed sidecar committed {doomedCommitted} (~2,000/s), survivor {survivorCommitted}"));
        output.WriteLine($"crash: central at crash {atCrash}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"crash: lease reclaimed {reclaimTime.TotalSeconds:F2} s after the crash; lost usage {lost} credits (engine's own unreported count {unreportedAtCrash}); bound = its traffic in the last settle interval (+20%) = {lastInterval}"));
        output.WriteLine($"crash: after the survivor's shutdown {after}");

        Assert.True(reclaimed, $"the crashed sidecar's lease was not reclaimed within TTL + grace + 5 s: {await rig.CentralAsync()}");
        Assert.True(reclaimTime >= LeaseTtl - TimeSpan.FromMilliseconds(500), $"reclaimed after only {reclaimTime}");
        Assert.True(after.Available > atCrash.Available, "central available did not grow by the reclaimed credits");
        Assert.Equal(0, after.Leased);
        Assert.Equal(Credits, after.Available + after.Consumed);
        Assert.True(after.IsConserved, after.ToString());
        Assert.InRange(lost, 0, lastInterval);
        Assert.True(lost <= unreportedAtCrash, $"lost {lost} > the {unreportedAtCrash} the engine had not had acknowledged");
    }
}
