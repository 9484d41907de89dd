using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Journal;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;

namespace QuotaSidecar.Benchmarks.Engine;

/// <summary>
/// An engine over the embedded ledger on a <see cref="ManualClock"/>, with accounts whose leases are already taken,
/// so every measured call stays on the hot path.
/// </summary>
/// <remarks>
/// Every hold is remembered for the idempotency window (docs/design.md §4a), so a benchmark that makes holds would grow
/// without bound. <see cref="Forget"/> moves the clock past the window and runs one settle pass, which reports usage,
/// refills the lease and drops the records: the benchmarks call it once per batch, so its cost (dropping each record
/// is a real per-hold cost) is amortized into the per-operation numbers, at a rate that is honest about per-hold work
/// and negligible for the once-per-batch part.
/// </remarks>
internal sealed class EngineFixture : IAsyncDisposable
{
    /// <summary>Holds live this long; the idempotency window is the same, so one <see cref="Forget"/> drops them all.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private EngineFixture(ManualClock clock, EmbeddedLedger ledger, QuotaEngine engine)
    {
        Clock = clock;
        Ledger = ledger;
        Engine = engine;
    }

    public ManualClock Clock { get; }

    public EmbeddedLedger Ledger { get; }

    public QuotaEngine Engine { get; }

    /// <summary>The engine's usage journal, if it has one.</summary>
    public UsageJournal? Journal { get; private init; }

    /// <summary>Builds the engine and creates <paramref name="accounts"/> funded accounts (bench-0, bench-1, ...)
    /// plus one suspended account and one without credits, each already leased.</summary>
    /// <param name="journal">A usage journal for the engine (null: none).</param>
    public static EngineFixture Create(int accounts, UsageJournalOptions? journal = null)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        // Lease TTL far above anything a run needs: the clock moves only by Forget, one window at a time.
        var ledger = new EmbeddedLedger(new CentralLedgerOptions { LeaseTtl = TimeSpan.FromHours(24), MaxLeaseShare = 1.0 }, clock);
        var options = new EngineOptions
        {
            InstanceId = "bench-1",
            DefaultHoldTtl = Window,
            MaxHoldTtl = Window,
            IdempotencyWindow = Window,
            // A fixed lease large enough for a whole batch of every thread, so no Reserve waits for a refill.
            MinLease = 10_000_000,
            MaxLease = 10_000_000,
            ReclaimWait = TimeSpan.Zero,
        };
        var usageJournal = journal is null ? null : UsageJournal.Open(journal, options.InstanceId, clock);
        var engine = new QuotaEngine(ledger, options, clock, journal: usageJournal);
        var fixture = new EngineFixture(clock, ledger, engine) { Journal = usageJournal };
        for (var i = 0; i < accounts; i++)
        {
            fixture.Fund(AccountId(i), 1_000_000_000_000_000);
        }

        fixture.Fund(SuspendedAccount, 1_000_000, AccountStatus.Suspended);
        fixture.Fund(EmptyAccount, 0);

        // A depth-3 path (docs/design.md#path-holds): org pool, team cap, key; every node funded and leased.
        fixture.Fund(TreeOrg, 1_000_000_000_000_000);
        fixture.Fund(TreeTeam, 1_000_000_000_000_000, parent: TreeOrg);
        fixture.Fund(TreeKey, 1_000_000_000_000_000, parent: TreeTeam);
        return fixture;
    }

    public const string SuspendedAccount = "bench-suspended";

    /// <summary>An account with no credits: a Reserve there asks the store (here the embedded ledger) and is denied.</summary>
    public const string EmptyAccount = "bench-empty";

    /// <summary>The root of the benchmark tree.</summary>
    public const string TreeOrg = "bench-org";

    public const string TreeTeam = "bench-team";

    /// <summary>The leaf of the depth-3 path bench-key → bench-team → bench-org.</summary>
    public const string TreeKey = "bench-key";

    public static string AccountId(int i) => "bench-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Moves time past the idempotency window and runs one settle pass: usage reported, lease refilled,
    /// every record of the last batch dropped.</summary>
    public void Forget()
    {
        Clock.Advance(Window);
        Engine.ProcessRefillsAsync().GetAwaiter().GetResult();
        Engine.SettleOnceAsync().GetAwaiter().GetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        Journal?.Dispose();
    }

    private void Fund(string accountId, long credits, AccountStatus status = AccountStatus.Active, string? parent = null)
    {
        Ledger.UpsertAccountAsync(new AccountPolicy(accountId, status, OverageMode.Hard, ParentId: parent)).AsTask().GetAwaiter().GetResult();
        if (credits > 0)
        {
            Ledger.GrantAsync(new GrantSpec(accountId, "bench-grant", credits)).AsTask().GetAwaiter().GetResult();
        }

        // The first Reserve loads the account and takes its lease; release it so the benchmark starts from a
        // leased, idle account.
        var first = Engine.ReserveAsync(accountId, 1).AsTask().GetAwaiter().GetResult();
        if (first.Decision == Decision.Granted)
        {
            Engine.Release(first.ReservationId);
        }
    }
}
