using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;

namespace QuotaSidecar.Core.Tests.Ledger;

public sealed class EmbeddedLedgerContractTests : CentralLedgerContract
{
    protected override ICentralLedger CreateLedger(FakeTimeProvider time, CentralLedgerOptions options) =>
        new EmbeddedLedger(options, time);

    protected override ValueTask<long> StoredSizeAsync(string accountId) =>
        ValueTask.FromResult<long>(((EmbeddedLedger)Ledger).StoredRecords(accountId));
}
