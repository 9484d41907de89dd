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

    [Theory]
    [InlineData(20, 2, 100)]
    [InlineData(1_000, 100, 100)]
    [InlineData(25, 25, 1_000)]
    [InlineData(1, 1, 1_000)]
    public void The_per_connection_bucket_refills_exactly_the_configured_rate(int perSecond, int tokens, int periodMs)
    {
        var (t, period) = QuotaSidecar.Hosting.RequestLimits.Refill(perSecond);

        Assert.Equal((tokens, TimeSpan.FromMilliseconds(periodMs)), (t, period));
        Assert.Equal(perSecond, t * (1_000 / periodMs));
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

    [Fact]
    public async Task A_shed_call_whose_request_never_ends_is_answered_once_the_drain_timeout_passes_and_counted()
    {
        await using var sidecar = new SidecarFactory()
            .With("Quota:Limits:MaxConcurrentRequests", "1")
            .With("Quota:Limits:ShedDrainTimeout", "00:00:00.2");
        using var undrained = new ShedCounter("quota.requests.shed.undrained");
        using var client = new HttpClient(sidecar.Server.CreateHandler()) { BaseAddress = sidecar.Server.BaseAddress };

        // A first request whose body never ends is admitted and holds the only permit (its handler waits for the
        // message); a shed answer to a normal call shows it is held. If it arrived while a probing call held the permit
        // it was shed itself (and answered): send another.
        var holders = new List<IDisposable>();
        Task<HttpResponseMessage> Hold()
        {
            var content = new NeverEndingContent();
            var message = new HttpRequestMessage(HttpMethod.Post, "/quota.v1.Quota/Consume") { Content = content, Version = System.Net.HttpVersion.Version20 };
            holders.Add(content);
            holders.Add(message);
            return client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        }

        using var release = new Disposables(holders);
        var holding = Hold();
        var shedSeen = false;
        for (var i = 0; i < 200 && !shedSeen; i++)
        {
            if (holding.IsCompleted)
            {
                holding = Hold();
            }

            try
            {
                await sidecar.Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = "seeded" }, Calls.Deadline);
                await Task.Delay(10);
            }
            catch (RpcException e)
            {
                shedSeen = e.StatusCode == StatusCode.ResourceExhausted;
            }
        }

        Assert.True(shedSeen, "the in-flight cap never bit");

        // A second such request is shed: the answer must still come, bounded by the drain timeout, and be counted.
        using var body = new NeverEndingContent();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/quota.v1.Quota/Consume") { Content = body, Version = System.Net.HttpVersion.Version20 };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("8", response.Headers.GetValues("grpc-status").Single()); // RESOURCE_EXHAUSTED, trailers-only
        Assert.True(undrained.Count >= 1, "the undrained shed call was not counted"); // other hosts of this process may add theirs
        Assert.False(holding.IsCompleted); // the first one still holds its permit: it was never shed
    }

    private sealed class Disposables(List<IDisposable> items) : IDisposable
    {
        public void Dispose() => items.ForEach(item => item.Dispose());
    }

    /// <summary>A request body that never ends (a client that stopped sending mid-request).</summary>
    private sealed class NeverEndingContent : HttpContent
    {
        private readonly TaskCompletionSource _end = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public NeverEndingContent() => Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.FlushAsync();
            await _end.Task;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            _end.TrySetResult();
            base.Dispose(disposing);
        }
    }

    /// <summary>Counts quota.requests.shed measurements made anywhere in this process.</summary>
    private sealed class ShedCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private long _count;

        public ShedCounter(string instrumentName = "quota.requests.shed")
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "QuotaSidecar" && instrument.Name == instrumentName)
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
