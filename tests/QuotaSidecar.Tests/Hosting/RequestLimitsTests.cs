using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Hosting;

/// <summary>The host's limits: a per-connection request rate, a cap on requests in flight, a largest message.</summary>
public sealed class RequestLimitsTests
{
    [Fact]
    public async Task A_connection_over_its_request_rate_is_told_resource_exhausted()
    {
        await using var sidecar = new SidecarFactory().With("Quota:Limits:RequestsPerSecondPerConnection", "20");
        using var shed = new ShedCounter();
        var statuses = new List<StatusCode>();

        for (var i = 0; i < 60; i++)
        {
            try
            {
                await sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = "seeded", Amount = 1 }, Calls.Deadline);
                statuses.Add(StatusCode.OK);
            }
            catch (RpcException e)
            {
                statuses.Add(e.StatusCode);
                Assert.Contains("overloaded", e.Status.Detail, StringComparison.Ordinal);
            }
        }

        Assert.Contains(StatusCode.OK, statuses);
        Assert.Contains(StatusCode.ResourceExhausted, statuses);
        Assert.All(statuses, s => Assert.True(s is StatusCode.OK or StatusCode.ResourceExhausted));

        // Counted for operators as quota_requests_shed_total (at least these: other hosts in this test process
        // record on meters of the same name). Read with a listener: scraping a second host's /metrics in the same
        // process disturbs the shared fixture's exporter.
        Assert.True(shed.Count >= statuses.Count(s => s == StatusCode.ResourceExhausted), $"quota.requests.shed counted {shed.Count}");
    }

    [Fact]
    public async Task Requests_beyond_the_in_flight_cap_are_shed_at_once()
    {
        await using var sidecar = new SidecarFactory()
            .With("Quota:Limits:MaxConcurrentRequests", "2")
            .WithServices(services =>
            {
                var real = services.Single(d => d.ServiceType == typeof(ICentralLedger));
                services.Remove(real);
                services.AddSingleton<ICentralLedger>(sp => new SlowLedger((ICentralLedger)real.ImplementationFactory!(sp), TimeSpan.FromMilliseconds(200)));
            });
        var quota = sidecar.Quota;
        await quota.ConsumeAsync(new ConsumeRequest { AccountId = "seeded", Amount = 1 }, Calls.Deadline);

        // GetBalance with consistent=true waits 200 ms for the slow store; 50 at once exceed a cap of 2.
        var calls = Enumerable.Range(0, 50).Select(async _ =>
        {
            try
            {
                await quota.GetBalanceAsync(new GetBalanceRequest { AccountId = "seeded", Consistent = true }, Calls.Deadline);
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        });
        var statuses = await Task.WhenAll(calls);

        Assert.Contains(StatusCode.ResourceExhausted, statuses);
        Assert.Contains(StatusCode.OK, statuses);
        Assert.All(statuses, s => Assert.True(s is StatusCode.OK or StatusCode.ResourceExhausted));
    }

    [Fact]
    public async Task Oversized_messages_are_resource_exhausted()
    {
        await using var sidecar = new SidecarFactory();

        var e = await Assert.ThrowsAsync<RpcException>(async () => await sidecar.Quota.ReserveAsync(
            new ReserveRequest { AccountId = "seeded", Amount = 1, ReservationId = new string('x', 100_000) }, Calls.Deadline));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    /// <summary>Counts quota.requests.shed measurements made anywhere in this process.</summary>
    private sealed class ShedCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private long _count;

        public ShedCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "QuotaSidecar" && instrument.Name == "quota.requests.shed")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
