using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Journal;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Tests.Engine;

/// <summary>An engine over a real embedded ledger on a fake clock, with a switch that takes the store down; with a
/// journal directory, an engine process that can crash and restart (<see cref="CrashAndRestartAsync"/>) while the
/// ledger, standing for Redis, lives on.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private readonly Action<EngineOptions>? _configure;
    private readonly UsageJournalOptions? _journalOptions;
    private readonly IUsageSink? _usageSink;
    private int _generation = 1;

    public EngineHarness(Action<EngineOptions>? configure = null, CentralLedgerOptions? ledgerOptions = null, UsageJournalOptions? journal = null, IUsageSink? usageSink = null)
    {
        _configure = configure;
        _journalOptions = journal;
        _usageSink = usageSink;
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Central = new EmbeddedLedger(ledgerOptions ?? new CentralLedgerOptions(), Time);
        Store = new SwitchableLedger(Central);
        Metrics = new EngineMetrics();
        (Options, Journal, Engine) = Start();
    }

    /// <summary>The current process's journal (null without one).</summary>
    public UsageJournal? Journal { get; private set; }

    /// <summary>The engine's instruments (its own Meter instance, so a listener can tell them from other engines').</summary>
    public EngineMetrics Metrics { get; }

    public FakeTimeProvider Time { get; }

    public EmbeddedLedger Central { get; }

    public SwitchableLedger Store { get; }

    public EngineOptions Options { get; private set; }

    public QuotaEngine Engine { get; private set; }

    /// <summary>
    /// The engine process is killed (no drain; what was copied into the journal's map stays, as the page cache keeps
    /// it), and a new one starts on the same journal directory with a new instance id and replays it.
    /// </summary>
    public async Task<ReplayReport> CrashAndRestartAsync()
    {
        Journal!.Abandon();
        Engine.Settler.Complete();
        _generation++;
        (Options, Journal, Engine) = Start();
        return await new JournalReplayer(Store, Time).ReplayAsync(Journal!);
    }

    private (EngineOptions, UsageJournal?, QuotaEngine) Start()
    {
        // Leases sized by the refill horizon alone: the tests here count credits in small leases; the outage horizon
        // has tests of its own (StoreFailureTests).
        var options = new EngineOptions { InstanceId = "test-1", ReclaimWait = TimeSpan.Zero, OutageHorizon = TimeSpan.Zero };
        _configure?.Invoke(options);
        options.InstanceId = _generation == 1 ? options.InstanceId : $"{options.InstanceId}-{_generation}";
        var journal = _journalOptions is null ? null : UsageJournal.Open(_journalOptions, options.InstanceId, Time);
        return (options, journal, new QuotaEngine(Store, options, Time, Metrics, journal: journal, usageSink: _usageSink));
    }

    public async Task<string> AccountAsync(long credits, OverageMode mode = OverageMode.Hard, long overageLimit = 0, long lowBalance = 0)
    {
        var id = $"acct-{Guid.NewGuid():N}";
        await Central.UpsertAccountAsync(new AccountPolicy(id, AccountStatus.Active, mode, overageLimit, lowBalance));
        if (credits > 0)
        {
            await Central.GrantAsync(new GrantSpec(id, "initial", credits));
        }

        return id;
    }

    public Task<Balance> CentralBalanceAsync(string accountId) => ConservedBalanceAsync(Central, accountId);

    /// <summary>The account's central balance, asserting the conservation law holds on it.</summary>
    public static async Task<Balance> ConservedBalanceAsync(ICentralLedger ledger, string accountId)
    {
        var view = await ledger.GetAccountAsync(accountId);
        Assert.NotNull(view);
        Assert.True(view.Balance.IsConserved, $"conservation broken: {view.Balance}");
        return view.Balance;
    }

    /// <summary>Reports everything and returns every lease, as at shutdown.</summary>
    /// <summary>The shutdown drain, bounded in real time: its retries wait on the fake clock, so a drain that cannot
    /// finish must end (and the test's balance checks fail) rather than hang.</summary>
    public async Task DrainAsync()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Engine.ShutdownAsync(bound.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        Journal?.Dispose();
        Metrics.Dispose();
    }
}
