using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;

namespace QuotaSidecar.Core.Tests.Engine;

/// <summary>An engine over a real embedded ledger on a fake clock, with a switch that takes the store down.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    public EngineHarness(Action<EngineOptions>? configure = null, CentralLedgerOptions? ledgerOptions = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Central = new EmbeddedLedger(ledgerOptions ?? new CentralLedgerOptions(), Time);
        Store = new SwitchableLedger(Central);
        // Leases sized by the refill horizon alone: the tests here count credits in small leases; the outage horizon
        // has tests of its own (OutageHorizonTests).
        Options = new EngineOptions { InstanceId = "test-1", ReclaimWait = TimeSpan.Zero, OutageHorizon = TimeSpan.Zero };
        configure?.Invoke(Options);
        Metrics = new EngineMetrics();
        Engine = new QuotaEngine(Store, Options, Time, Metrics);
    }

    /// <summary>The engine's instruments (its own Meter instance, so a listener can tell them from other engines').</summary>
    public EngineMetrics Metrics { get; }

    public FakeTimeProvider Time { get; }

    public EmbeddedLedger Central { get; }

    public SwitchableLedger Store { get; }

    public EngineOptions Options { get; }

    public QuotaEngine Engine { get; }

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

    public async Task<Balance> CentralBalanceAsync(string accountId)
    {
        var view = await Central.GetAccountAsync(accountId);
        Assert.NotNull(view);
        Assert.True(view.Balance.IsConserved, $"conservation broken: {view.Balance}");
        return view.Balance;
    }

    /// <summary>Reports everything and returns every lease, as at shutdown.</summary>
    public Task DrainAsync() => Engine.ShutdownAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        Metrics.Dispose();
    }
}
