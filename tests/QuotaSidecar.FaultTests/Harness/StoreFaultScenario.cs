using System.Diagnostics;
using System.Globalization;
using QuotaSidecar.Api.V1;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests.Harness;

/// <summary>
/// One store failure under load (issue 14): three sidecars on the store; closed-loop Consume callers on large
/// <see cref="SteadyAccounts"/> and one paced caller per sidecar on <see cref="Newcomers"/> accounts it has not served
/// yet (each such call needs the store), every call with a 1 s deadline. Windows: <c>before</c> (3 s), <c>fault</c>
/// (<see cref="Inject"/>: the failure and its end), <c>recovery</c> (until every sidecar says the store is back and its
/// breaker is closed, then 3 s). Then every sidecar is SIGTERMed and a fresh one audits each account's central balance.
/// </summary>
public sealed class StoreFaultScenario
{
    /// <summary>The callers' deadline on every call.</summary>
    public static readonly TimeSpan ClientDeadline = TimeSpan.FromSeconds(1);

    /// <summary><c>Quota:Store:MaxWait</c> (its default), set explicitly: the slowest answer is held to it + 50 ms.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(100);

    public const long SteadyCredits = 1_000_000_000;
    public const long NewcomerCredits = 1_000_000;

    /// <summary>What is injected, for the report.</summary>
    public required string Fault { get; init; }

    /// <summary>What the sidecars connect to (a StackExchange.Redis connection string: endpoints only, as a user
    /// writes it; the sidecar chooses its own timeouts).</summary>
    public required string Store { get; init; }

    /// <summary>Runs the failure and returns once it has ended (the store restarted, resumed, healed...).</summary>
    public required Func<Task> Inject { get; init; }

    /// <summary>Sidecar settings beyond the Fleet's and <see cref="MaxWait"/>.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> SteadyAccounts { get; init; } = ["steady"];

    /// <summary>Closed-loop callers per steady account on each sidecar.</summary>
    public int CallersPerSteadyAccount { get; init; } = 2;

    /// <summary>Each steady caller's pace: a steady rate (500 Consumes/s per account per sidecar by default) that a
    /// lease sized for the outage horizon can carry, and that does not rise when the store's death frees the CPU.</summary>
    public double SteadyCallsPerSecond { get; init; } = 250;

    /// <summary>Accounts the paced callers go through, one call per <see cref="NewcomerEvery"/> per sidecar.</summary>
    public int Newcomers { get; init; } = 300;

    public TimeSpan NewcomerEvery { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The scenario's sidecars, once started (for an <see cref="Inject"/> that reads their state mid-fault).</summary>
    public IReadOnlyList<SidecarProcess> Sidecars { get; private set; } = [];

    public static IReadOnlyList<string> NewcomerIds(int count) => [.. Enumerable.Range(0, count).Select(i => $"new-{i:D3}")];

    public async Task<StoreFaultReport> RunAsync(ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var settings = new Dictionary<string, string>
        {
            ["Quota__Redis__ConnectionString"] = Store,
            ["Quota__Store__MaxWait"] = MaxWait.ToString("c", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        await using var fleet = new Fleet(Store, settings);
        var nodes = new[] { await fleet.StartAsync("a"), await fleet.StartAsync("b"), await fleet.StartAsync("c") };
        var sidecars = nodes.Select(n => n.Sidecar).ToArray();
        Sidecars = sidecars;
        var newcomers = NewcomerIds(Newcomers);
        await CreateAccountsAsync(nodes[0].Admin, [.. SteadyAccounts.Select(a => (a, SteadyCredits)), .. newcomers.Select(a => (a, NewcomerCredits))]);

        var loads = new List<ConsumeLoad>();
        foreach (var node in nodes)
        {
            loads.AddRange(SteadyAccounts.Select(a => ConsumeLoad.Start(node.Quota, a, CallersPerSteadyAccount, callTimeout: ClientDeadline, callsPerSecond: SteadyCallsPerSecond)));
        }

        await Task.Delay(TimeSpan.FromSeconds(2)); // leases taken and sized to the rate, JIT warm
        loads.AddRange(nodes.Select(n => ConsumeLoad.StartPaced(n.Quota, newcomers, NewcomerEvery, ClientDeadline)));
        var watch = StoreStateWatch.Start(sidecars);
        var before = await Window.RunAsync("before", sidecars, () => Task.Delay(TimeSpan.FromSeconds(3)));
        var fault = await Window.RunAsync("fault", sidecars, Inject);
        TimeSpan? recoveredAfter = null;
        var recovery = await Window.RunAsync("recovery", sidecars, async () =>
        {
            var healed = Stopwatch.GetTimestamp();
            if (await Wait.UntilAsync(() => Task.FromResult(Recovered(watch, sidecars.Length)), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)))
            {
                recoveredAfter = Stopwatch.GetElapsedTime(healed);
            }

            await Task.Delay(TimeSpan.FromSeconds(3));
        });
        var samples = (await Task.WhenAll(loads.Select(l => l.StopAsync()))).SelectMany(s => s).OrderBy(s => s.StartedAt).ToList();
        await watch.StopAsync();

        var exits = await SidecarProcess.TerminateAllAsync(sidecars, TimeSpan.FromSeconds(30));
        for (var i = 0; i < sidecars.Length; i++)
        {
            // The breakers' transitions, one log line each (naming the shard): which part of the store each sidecar lost.
            var transitions = sidecars[i].Output.Split('\n').Where(l => l.Contains("Central store", StringComparison.Ordinal) || l.Contains("Store shard", StringComparison.Ordinal) || l.Contains("Settle pass failed", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal)).ToList();
            output.WriteLine($"sidecar {i} store log ({transitions.Count} lines): {string.Join(" | ", transitions.Take(40).Select(l => l.Trim()))}");
        }

        var auditor = await fleet.StartAsync("auditor");
        // Leases a paused or cut-off store could not renew are reclaimed by the next call touching the account once
        // their TTL and the reclaim grace have passed; these reads are such calls. One deadline for all accounts.
        var balances = new Dictionary<string, Balance>();
        IReadOnlyList<string> unsettled = [.. SteadyAccounts.Concat(newcomers)];
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var (account, balance) in await ReadBalancesAsync(auditor.Admin, unsettled))
                {
                    balances[account] = balance;
                }

                unsettled = [.. unsettled.Where(a => balances[a].Leased != 0)];
                return unsettled.Count == 0;
            },
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(500));

        var report = new StoreFaultReport(this, samples, before, fault, recovery, watch, recoveredAfter, balances, exits);
        report.Print(output);
        return report;
    }

    private static bool Recovered(StoreStateWatch watch, int sidecars)
    {
        var latest = watch.Latest;
        return latest.Count == sidecars && latest.All(s => s.Available == 1 && (double.IsNaN(s.Breaker) || s.Breaker == 0));
    }

    private static Task<(string Account, Balance Balance)[]> ReadBalancesAsync(QuotaAdmin.QuotaAdminClient admin, IReadOnlyList<string> accounts) =>
        SixteenAtOnceAsync(accounts, async a => (a, await Fleet.BalanceAsync(admin, a)));

    private static Task<bool[]> CreateAccountsAsync(QuotaAdmin.QuotaAdminClient admin, IReadOnlyList<(string Id, long Credits)> accounts) =>
        SixteenAtOnceAsync(accounts, async a =>
        {
            await Fleet.CreateAccountAsync(admin, a.Id, a.Credits);
            return true;
        });

    /// <summary>Admin calls for hundreds of accounts, 16 in flight at a time.</summary>
    private static async Task<TResult[]> SixteenAtOnceAsync<T, TResult>(IEnumerable<T> items, Func<T, Task<TResult>> call)
    {
        using var parallel = new SemaphoreSlim(16);
        return await Task.WhenAll(items.Select(async item =>
        {
            await parallel.WaitAsync();
            try
            {
                return await call(item);
            }
            finally
            {
                parallel.Release();
            }
        }));
    }
}
