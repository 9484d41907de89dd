using System.Diagnostics;
using System.Globalization;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Testing.Processes;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace QuotaSidecar.Redis.Tests.MultiSidecar;

/// <summary>Redis is SIGKILLed for 10 s under load: sidecars serve from their leases and queued reports apply once (docs/design.md §4 "Central store down").</summary>
public sealed class RedisOutageTests(ITestOutputHelper output)
{
    private const long Credits = 1_000_000;
    private const double CreditsPerSecondPerSidecar = 400;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Sidecars_serve_from_their_leases_while_redis_is_down_and_queued_reports_apply_once_when_it_returns()
    {
        var server = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "everysec");
        try
        {
            var config = ConfigurationOptions.Parse(server.Endpoint);
            config.AbortOnConnectFail = false;
            config.ConnectTimeout = 1000;
            config.SyncTimeout = 1000;
            config.AsyncTimeout = 1000;
            config.BacklogPolicy = BacklogPolicy.FailFast; // while disconnected a call fails at once instead of queueing
            config.ReconnectRetryPolicy = new LinearRetry(250);
            await using var connection = await ConnectionMultiplexer.ConnectAsync(config);
            await using var rig = await EngineRig.CreateAsync(
                connection, $"outage-{Guid.NewGuid():N}", Credits, new CentralLedgerOptions { LeaseTtl = TimeSpan.FromSeconds(30) });
            var id = rig.AccountId;
            // A lease of 20,000 covers 25 s of this traffic, far more than the outage.
            var engines = Enumerable.Range(0, 2)
                .Select(i => rig.Start(new EngineOptions
                {
                    InstanceId = $"outage-{i}-{Guid.NewGuid():N}"[..20],
                    SettleInterval = TimeSpan.FromMilliseconds(100),
                    MinLease = 20_000,
                }))
                .ToList();

            // Each engine takes its lease before the load starts: with the store wait budget (MaxStoreWait) a cold
            // engine's first refill may outlast 100 ms on a loaded machine and answer STORE_UNAVAILABLE although Redis
            // is up (docs/reliability.md, "Start-up, not a fault"); this test is about the outage, not the start.
            long committed = 0, errors = 0, denials = 0, servedWhileDown = 0;
            foreach (var engine in engines)
            {
                var warmUp = Stopwatch.StartNew();
                while ((await engine.ConsumeAsync(id, 2)).Decision != Decision.Granted)
                {
                    Assert.True(warmUp.Elapsed < TimeSpan.FromSeconds(10), "a sidecar could not take its first lease from a healthy Redis within 10 s");
                    await Task.Delay(50);
                }

                committed += 2;
            }

            var down = 0;
            var sawStoreDown = new bool[engines.Count];
            using var stop = new CancellationTokenSource();
            var firstError = "";

            async Task Load(int index)
            {
                var engine = engines[index];
                var clock = Stopwatch.StartNew();
                long sent = 0;
                for (var i = 0; i < 100_000 && !stop.IsCancellationRequested; i++)
                {
                    while (sent < clock.Elapsed.TotalSeconds * CreditsPerSecondPerSidecar && !stop.IsCancellationRequested)
                    {
                        sent += 2;
                        try
                        {
                            var r = await engine.ConsumeAsync(id, 2).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                            if (r.Decision == Decision.Granted)
                            {
                                Interlocked.Add(ref committed, 2);
                                if (Volatile.Read(ref down) == 1)
                                {
                                    Interlocked.Add(ref servedWhileDown, 2);
                                }
                            }
                            else
                            {
                                Interlocked.Increment(ref denials);
                                Interlocked.CompareExchange(ref firstError, $"denied {r.DenyReason} ({(Volatile.Read(ref down) == 1 ? "while down" : "while up")})", "");
                            }
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            Interlocked.Increment(ref errors);
                            Interlocked.CompareExchange(ref firstError, e.ToString(), "");
                        }
                    }

                    sawStoreDown[index] |= !engine.StoreAvailable;
                    await Task.Delay(5, CancellationToken.None);
                }
            }

            var load = engines.Select((_, i) => Task.Run(() => Load(i))).ToList();
            await Task.Delay(TimeSpan.FromSeconds(2));

            // SIGKILL: no shutdown, no final AOF rewrite; only what Redis wrote before answering survives.
            await server.KillAsync();
            Volatile.Write(ref down, 1);
            var committedAtKill = Interlocked.Read(ref committed);
            await Task.Delay(Outage);
            Volatile.Write(ref down, 0);
            var unreportedAtRestart = engines.Sum(e => e.UnreportedUsage(id));
            await server.RestartAsync();

            // Load keeps running while the sidecars notice Redis is back and send their queued reports.
            var drained = await WaitAsync(() => connection.IsConnected && engines.All(e => e.StoreAvailable), TimeSpan.FromSeconds(20));
            await stop.CancelAsync();
            await Task.WhenAll(load).WaitAsync(TimeSpan.FromSeconds(15));
            var reported = await WaitAsync(() => engines.All(e => e.UnreportedUsage(id) == 0), TimeSpan.FromSeconds(20));
            var beforeShutdown = await rig.CentralAsync();
            var total = Interlocked.Read(ref committed);
            await rig.ShutdownAllAsync(TimeSpan.FromSeconds(5));
            var after = await rig.CentralAsync();

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"outage: 2 sidecars x {CreditsPerSecondPerSidecar} credits/s, redis SIGKILLed for {Outage.TotalSeconds} s (AOF everysec); committed {committedAtKill} before the kill, " +
                $"{servedWhileDown} served while down, {unreportedAtRestart} unreported at restart, {total} in all"));
            output.WriteLine($"outage: errors {errors}, denials {denials} (lease covered every request); {firstError}");
            output.WriteLine($"outage: before shutdown {beforeShutdown}; after {after}");

            Assert.True(sawStoreDown.All(x => x), "a sidecar never noticed that Redis was down");
            Assert.True(servedWhileDown > 0, "nothing was served during the outage");
            Assert.Equal(0, errors);
            Assert.Equal(0, denials);
            Assert.True(drained, "the sidecars did not see Redis again within 20 s");
            Assert.True(reported, "queued reports were not all acknowledged within 20 s: " + string.Join("; ", engines.Select(e => e.Describe(id))));
            Assert.Equal(total, beforeShutdown.Consumed + beforeShutdown.Overage); // every report applied exactly once
            Assert.Equal(total, after.Consumed + after.Overage);
            Assert.Equal(0, after.Overage);
            Assert.Equal(0, after.Leased);
            Assert.True(after.IsConserved, after.ToString());
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return condition();
    }
}
