using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Tests.Engine;

/// <summary>
/// A real ledger behind a switch: while <see cref="Down"/> every call fails as an unreachable store does, and
/// <see cref="LoseResponses"/> applies the call but loses its answer (a timeout after the write), and while
/// <see cref="Stalled"/> an exchange waits, unanswered, until the stall ends (a blackholed or paused store), then
/// goes on to the real ledger.
/// </summary>
internal sealed class SwitchableLedger(ICentralLedger inner) : ICentralLedger
{
    public bool Down { get; set; }

    public bool LoseResponses { get; set; }

    private TaskCompletionSource _unstalled = NewGate(done: true);

    /// <summary>Exchanges wait, unanswered, while true; setting it false lets them through.</summary>
    public bool Stalled
    {
        get => !_unstalled.Task.IsCompleted;
        set
        {
            if (value && !Stalled)
            {
                _unstalled = NewGate(done: false);
            }
            else if (!value)
            {
                _unstalled.TrySetResult();
            }
        }
    }

    /// <summary>Exchanges waiting in a stall.</summary>
    public int StalledExchanges { get; private set; }

    public int Exchanges { get; private set; }

    /// <summary>Every exchange tried, including those that failed because the store was down.</summary>
    public int Attempts { get; private set; }

    /// <summary>The last exchanges and their answers, newest last, for failure messages.</summary>
    public Queue<string> Trace { get; } = new();

    public async ValueTask<LeaseExchangeResult> ExchangeAsync(LeaseExchange exchange, CancellationToken cancellationToken = default)
    {
        Attempts++;
        if (Stalled)
        {
            StalledExchanges++;
            await _unstalled.Task;
            StalledExchanges--;
        }

        Check();
        Exchanges++;
        var result = await inner.ExchangeAsync(exchange, cancellationToken);
        Trace.Enqueue($"{exchange} => {result}");
        if (Trace.Count > 8)
        {
            Trace.Dequeue();
        }
        return LoseResponses ? throw new QuotaException("store timed out after the write", new TimeoutException()) : result;
    }

    public ValueTask<AccountView> UpsertAccountAsync(AccountPolicy policy, CancellationToken cancellationToken = default)
    {
        Check();
        return inner.UpsertAccountAsync(policy, cancellationToken);
    }

    public ValueTask<AccountView?> GetAccountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        Check();
        return inner.GetAccountAsync(accountId, cancellationToken);
    }

    public ValueTask<Grant> GrantAsync(GrantSpec spec, CancellationToken cancellationToken = default)
    {
        Check();
        return inner.GrantAsync(spec, cancellationToken);
    }

    public ValueTask<Grant> VoidGrantAsync(string accountId, string grantId, CancellationToken cancellationToken = default)
    {
        Check();
        return inner.VoidGrantAsync(accountId, grantId, cancellationToken);
    }

    public ValueTask<IReadOnlyList<Grant>> ListGrantsAsync(string accountId, bool includeInactive, CancellationToken cancellationToken = default)
    {
        Check();
        return inner.ListGrantsAsync(accountId, includeInactive, cancellationToken);
    }

    public ValueTask<LedgerPage> ListEntriesAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default)
    {
        Check();
        return inner.ListEntriesAsync(accountId, after, limit, cancellationToken);
    }

    public ValueTask<ChildPage> ListChildrenAsync(string accountId, string? after, int limit, CancellationToken cancellationToken = default)
    {
        Check();
        return inner.ListChildrenAsync(accountId, after, limit, cancellationToken);
    }

    public ValueTask<IReadOnlyList<LabelUsage>?> GetUsageAsync(string accountId, CancellationToken cancellationToken = default)
    {
        Check();
        return inner.GetUsageAsync(accountId, cancellationToken);
    }

    private static TaskCompletionSource NewGate(bool done)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (done)
        {
            gate.SetResult();
        }

        return gate;
    }

    private void Check()
    {
        if (Down)
        {
            throw new QuotaException("store unreachable", new InvalidOperationException("connection refused"));
        }
    }
}
