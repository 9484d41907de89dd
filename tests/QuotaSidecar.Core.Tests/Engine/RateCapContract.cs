using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using Xunit.Abstractions;

namespace QuotaSidecar.Core.Tests.Engine;

/// <summary>
/// A spend-rate cap is a minute allowance without rollover (docs/design.md#recurrence): three sidecars (engines with
/// distinct instance ids on one fake clock, over one ledger) asking far more than the cap grant exactly the cap in
/// every minute, counted at the time each Consume or Reserve was granted. Runs against every ledger.
/// </summary>
public abstract class RateCapContract(ITestOutputHelper output)
{
    private const long Cap = 200;
    private const int Minutes = 5;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    // Boundaries follow the grant's anchor, here with seconds and milliseconds.
    private static readonly DateTimeOffset Anchor = new(2026, 1, 1, 0, 0, 17, 250, TimeSpan.Zero);

    /// <summary>Makes the ledger the three engines share.</summary>
    protected abstract ICentralLedger CreateLedger(FakeTimeProvider time, CentralLedgerOptions options);

    [Fact]
    public Task A_minute_cap_of_200_grants_exactly_200_in_every_minute_across_three_sidecars() =>
        RunAsync(lightMinutes: [], configure: null);

    /// <summary>
    /// After a quiet minute the sidecars hold leases of that minute's credits (small leases, out of precision mode): they
    /// end at the boundary and what is left of them expires, so a busy minute after it still grants exactly 200.
    /// </summary>
    [Fact]
    public Task Leases_left_over_from_a_quiet_minute_are_not_spent_in_the_next_one() =>
        RunAsync(lightMinutes: [0, 2], configure: o => (o.MinLease, o.OutageHorizon) = (5, TimeSpan.Zero));

    private async Task RunAsync(int[] lightMinutes, Action<EngineOptions>? configure)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("QUOTA_RANDOM_SEED"), out var s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (QUOTA_RANDOM_SEED={seed} repeats this run)");
        var rng = new Random(seed);
        var time = new FakeTimeProvider(Anchor);
        var ledger = CreateLedger(time, new CentralLedgerOptions());
        var account = $"acct-{Guid.NewGuid():N}";
        await ledger.UpsertAccountAsync(new AccountPolicy(account, AccountStatus.Active, OverageMode.Hard));
        await ledger.GrantAsync(new GrantSpec(account, "rate-cap", Cap, EffectiveAt: Anchor, Recurrence: new Recurrence(RecurrencePeriod.Minute, 0)));

        // The reclaim wait would wait on the fake clock, which only this loop moves: the slow path runs without it.
        var engines = Enumerable.Range(1, 3).Select(i =>
        {
            var options = new EngineOptions { InstanceId = $"rate-{i}", ReclaimWait = TimeSpan.Zero };
            configure?.Invoke(options);
            return new QuotaEngine(ledger, options, time);
        }).ToArray();
        var holds = engines.Select(_ => new Queue<(string Id, long Amount)>()).ToArray();
        var granted = new long[Minutes + 1];
        var askedIn = new long[Minutes + 1];
        long asked = 0, usage = 0;
        try
        {
            var steps = (int)(TimeSpan.FromMinutes(Minutes) / Step);
            for (var step = 0; step < steps; step++)
            {
                var window = (int)((time.GetUtcNow() - Anchor) / TimeSpan.FromMinutes(1));
                var light = lightMinutes.Contains(window);
                for (var e = 0; e < engines.Length; e++)
                {
                    var engine = engines[e];

                    // A hold reserved earlier is committed in full, sometimes in the next minute: it counts where it was
                    // granted and is charged to its own minute's credits.
                    if (holds[e].Count > 0 && rng.Next(3) == 0)
                    {
                        var (id, amount) = holds[e].Dequeue();
                        Assert.Equal(amount, engine.Commit(id, amount).Committed);
                        usage += amount;
                    }

                    // Busy: 10 a second per sidecar; quiet: one every 3 s (some 60 a minute in all).
                    for (var n = light ? (rng.Next(30) == 0 ? 1 : 0) : rng.Next(0, 3); n > 0; n--)
                    {
                        asked++;
                        askedIn[window]++;
                        if ((await engine.ConsumeAsync(account, 1)).Decision == Decision.Granted)
                        {
                            granted[window]++;
                            usage++;
                        }
                    }

                    if (!light && rng.Next(4) == 0)
                    {
                        var amount = rng.Next(1, 4);
                        asked += amount;
                        askedIn[window] += amount;
                        var r = await engine.ReserveAsync(account, amount);
                        if (r.Decision == Decision.Granted)
                        {
                            granted[window] += amount;
                            holds[e].Enqueue((r.ReservationId, amount));
                        }
                    }
                }

                time.Advance(Step);
                if (step % 5 == 4)
                {
                    foreach (var engine in engines)
                    {
                        await engine.SettleOnceAsync();
                        await engine.ProcessRefillsAsync();
                    }
                }

                var view = await ledger.GetAccountAsync(account);
                Assert.True(view!.Balance.IsConserved, $"conservation broken at {time.GetUtcNow():O} (seed {seed}): {view.Balance}");
            }

            for (var e = 0; e < engines.Length; e++)
            {
                foreach (var (id, amount) in holds[e])
                {
                    engines[e].Commit(id, amount);
                    usage += amount;
                }
            }

            foreach (var engine in engines)
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await engine.ShutdownAsync(bound.Token);
            }
        }
        finally
        {
            foreach (var engine in engines)
            {
                await engine.DisposeAsync();
            }
        }

        output.WriteLine($"asked per minute: {string.Join(", ", askedIn[..Minutes])}; granted per minute: {string.Join(", ", granted[..Minutes])}");
        for (var m = 0; m < Minutes; m++)
        {
            if (lightMinutes.Contains(m))
            {
                Assert.True(askedIn[m] < Cap / 2, $"minute {m} must be quiet (asked {askedIn[m]})");
                Assert.Equal(askedIn[m], granted[m]); // all of it: a quiet minute is not held back either
            }
            else
            {
                Assert.True(askedIn[m] > 5 * Cap, $"minute {m}: the demand ({askedIn[m]}) must be far above the cap");
                Assert.Equal(Cap, granted[m]);
            }
        }

        var end = (await ledger.GetAccountAsync(account))!.Balance;
        Assert.True(end.IsConserved, $"conservation broken at the end: {end}");
        Assert.Equal(0, end.Leased);
        Assert.Equal(0, end.Overage);
        Assert.Equal(usage, end.Consumed); // every granted credit was committed and billed, once
    }
}

