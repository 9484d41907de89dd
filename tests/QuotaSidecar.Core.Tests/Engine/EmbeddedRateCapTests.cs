using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;
using Xunit.Abstractions;

namespace QuotaSidecar.Core.Tests.Engine;

/// <summary>The rate cap on the embedded ledger.</summary>
public sealed class EmbeddedRateCapTests(ITestOutputHelper output) : RateCapContract(output)
{
    protected override ICentralLedger CreateLedger(FakeTimeProvider time, CentralLedgerOptions options) =>
        new EmbeddedLedger(options, time);
}
