using System.Collections.Concurrent;
using System.Diagnostics;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Settlement;
using QuotaSidecar.Core.Tests.Engine;

namespace QuotaSidecar.Core.Tests.Settlement;

/// <summary>The exchange span (<see cref="ExchangeTracing"/>): a child of the request that waits on the exchange, a
/// root from the background source otherwise, nothing at all when no one listens.</summary>
public sealed class ExchangeTracingTests : IAsyncLifetime
{
    private static readonly ActivitySource Caller = new("QuotaSidecar.Tests.Caller");
    private readonly EngineHarness _h = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task A_Reserve_that_loads_the_account_waits_on_an_exchange_span_that_is_its_child()
    {
        using var listener = Listen(ExchangeTracing.SourceName, ExchangeTracing.BackgroundSourceName, Caller.Name);
        var id = await _h.AccountAsync(1_000);

        ActivityContext request;
        using (var caller = Caller.StartActivity("reserve"))
        {
            request = caller!.Context;
            Assert.Equal(Decision.Granted, (await _h.Engine.ReserveAsync(id, 10)).Decision);
        }

        var exchange = Assert.Single(Exchanges(id));
        Assert.Equal(ExchangeTracing.SourceName, exchange.Source.Name);
        Assert.Equal(request.TraceId, exchange.TraceId);
        Assert.Equal(request.SpanId, exchange.ParentSpanId);
        Assert.Equal("need", exchange.GetTagItem(ExchangeTracing.IntentAttribute));
        Assert.Equal("done", exchange.GetTagItem(ExchangeTracing.OutcomeAttribute));
        Assert.Equal(1L, exchange.GetTagItem(ExchangeTracing.SequenceAttribute));
        Assert.Equal(ActivityStatusCode.Unset, exchange.Status);
    }

    [Fact]
    public async Task A_settle_pass_with_no_request_around_it_is_a_root_span_of_the_background_source()
    {
        using var listener = Listen(ExchangeTracing.SourceName, ExchangeTracing.BackgroundSourceName, Caller.Name);
        var id = await _h.AccountAsync(1_000);
        await _h.Engine.ConsumeAsync(id, 5);
        var loads = Exchanges(id).Count;

        await _h.Engine.SettleOnceAsync();

        var settle = Assert.Single(Exchanges(id).Skip(loads));
        Assert.Equal(ExchangeTracing.BackgroundSourceName, settle.Source.Name);
        Assert.Null(settle.Parent);
        Assert.Equal(default, settle.ParentSpanId);
    }

    [Fact]
    public async Task A_store_that_cannot_be_reached_marks_the_span_as_an_error()
    {
        using var listener = Listen(ExchangeTracing.SourceName, Caller.Name);
        var id = await _h.AccountAsync(1_000);
        _h.Store.Down = true;

        using (Caller.StartActivity("reserve"))
        {
            await _h.Engine.ReserveAsync(id, 10);
        }

        var exchange = Assert.Single(Exchanges(id));
        Assert.Equal("store_unavailable", exchange.GetTagItem(ExchangeTracing.OutcomeAttribute));
        Assert.Equal(ActivityStatusCode.Error, exchange.Status);
    }

    [Fact]
    public async Task With_no_listener_no_span_is_started()
    {
        using var listener = Listen(Caller.Name); // the caller is traced, the sidecar's sources are not
        var id = await _h.AccountAsync(1_000);
        using (Caller.StartActivity("reserve"))
        {
            Assert.Equal(Decision.Granted, (await _h.Engine.ReserveAsync(id, 10)).Decision);
            Assert.Null(ExchangeTracing.Start(id, default));
        }

        await _h.Engine.SettleOnceAsync();
        Assert.Empty(Exchanges(id));
    }

    private List<Activity> Exchanges(string account) =>
        _stopped.Where(a => a.OperationName == ExchangeTracing.SpanName && (string?)a.GetTagItem(ExchangeTracing.AccountAttribute) == account).ToList();

    private ActivityListener Listen(params string[] sources)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => sources.Contains(s.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
