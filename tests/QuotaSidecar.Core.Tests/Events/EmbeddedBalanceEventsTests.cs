using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Events;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;

namespace QuotaSidecar.Core.Tests.Events;

public sealed class EmbeddedBalanceEventsTests : BalanceEventsContract
{
    protected override (ICentralLedger Ledger, IEventLog Events, IRechargePolicies Recharges) Create(FakeTimeProvider time, CentralLedgerOptions options, EventOptions events)
    {
        var ledger = new EmbeddedLedger(options, time, events);
        return (ledger, ledger.Events, ledger);
    }

    protected override Task RelayAsync(string accountId) => Task.CompletedTask;
}
