using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Client.Tests;

/// <summary>Retries against a Quota server that fails on purpose: only idempotent calls, only on UNAVAILABLE, within the deadline.</summary>
public sealed class RetryTests : IAsyncLifetime
{
    private readonly FlakyQuota _server = new();
    private WebApplication? _app;
    private GrpcChannel? _channel;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(_server);
        _app = builder.Build();
        _app.MapGrpcService<FlakyQuota>();
        await _app.StartAsync();
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = _app.GetTestServer().CreateHandler() });
    }

    [Fact]
    public async Task Reserve_is_retried_on_unavailable_with_the_same_reservation_id()
    {
        _server.FailNext(2, StatusCode.Unavailable);

        var hold = await Client().ReserveAsync("acme", 5);

        Assert.True(hold.Granted);
        var ids = _server.Calls.Where(c => c.Method == "Reserve").Select(c => c.Id).ToList();
        Assert.Equal(3, ids.Count);
        Assert.Single(ids.Distinct());
        Assert.Equal(hold.ReservationId, ids[0]);
    }

    [Fact]
    public async Task Commit_and_release_are_retried_by_id()
    {
        var quota = Client();
        var first = await quota.ReserveAsync("acme", 5);
        var second = await quota.ReserveAsync("acme", 5);

        _server.FailNext(1, StatusCode.Unavailable);
        await first.CommitAsync(4);
        _server.FailNext(1, StatusCode.Unavailable);
        await second.ReleaseAsync();

        Assert.Equal([first.ReservationId, first.ReservationId], _server.Calls.Where(c => c.Method == "Commit").Select(c => c.Id));
        Assert.Equal([second.ReservationId, second.ReservationId], _server.Calls.Where(c => c.Method == "Release").Select(c => c.Id));
    }

    [Fact]
    public async Task Consume_without_a_request_id_is_never_retried()
    {
        _server.FailNext(1, StatusCode.Unavailable);

        var e = await Assert.ThrowsAsync<RpcException>(() => Client().ConsumeAsync("acme", 5));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Single(_server.Calls);
    }

    [Fact]
    public async Task Consume_with_a_request_id_is_retried()
    {
        _server.FailNext(1, StatusCode.Unavailable);

        var result = await Client().ConsumeAsync("acme", 5, new ConsumeOptions { RequestId = "req-1" });

        Assert.True(result.Granted);
        Assert.Equal(["req-1", "req-1"], _server.Calls.Select(c => c.Id));
    }

    [Fact]
    public async Task Other_errors_are_not_retried()
    {
        _server.FailNext(1, StatusCode.InvalidArgument);

        var e = await Assert.ThrowsAsync<RpcException>(() => Client().ReserveAsync("acme", 5));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Single(_server.Calls);
    }

    [Fact]
    public async Task Retries_stop_after_MaxAttempts()
    {
        _server.FailNext(10, StatusCode.Unavailable);

        var e = await Assert.ThrowsAsync<RpcException>(() => Client(maxAttempts: 3).ReserveAsync("acme", 5));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(3, _server.Calls.Count);
    }

    [Fact]
    public async Task A_call_past_its_deadline_fails_with_deadline_exceeded_and_is_not_retried()
    {
        var network = new SlowNetwork(_app!.GetTestServer().CreateHandler());
        using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = network });
        var quota = new QuotaClient(channel.CreateCallInvoker(), new QuotaClientOptions { Timeout = TimeSpan.FromMilliseconds(300), InitialBackoff = TimeSpan.FromMilliseconds(1) });

        var e = await Assert.ThrowsAsync<RpcException>(() => quota.ReserveAsync("acme", 5));

        Assert.True(e.StatusCode == StatusCode.DeadlineExceeded, e.ToString());
        Assert.Equal(1, network.Requests);
    }

    [Fact]
    public async Task Disposing_an_open_hold_releases_it_through_a_retry()
    {
        var hold = await Client().ReserveAsync("acme", 5);
        _server.FailNext(1, StatusCode.Unavailable);

        await hold.DisposeAsync();

        Assert.Equal(QuotaHoldState.Released, hold.State);
        Assert.Equal(2, _server.Calls.Count(c => c.Method == "Release"));
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private QuotaClient Client(int maxAttempts = 4, TimeSpan? timeout = null) => new(
        _channel!.CreateCallInvoker(),
        new QuotaClientOptions
        {
            MaxAttempts = maxAttempts,
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            MaxBackoff = TimeSpan.FromMilliseconds(4),
        });

    /// <summary>A network that takes 10 s to deliver a request (cut short when the call gives up).</summary>
    private sealed class SlowNetwork(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A Quota server that grants everything, fails the next N calls with a chosen status, and records calls.</summary>
    internal sealed class FlakyQuota : Quota.QuotaBase
    {
        private int _failures;
        private StatusCode _failWith;

        public ConcurrentQueue<(string Method, string Id)> CallLog { get; } = new();

        public IReadOnlyList<(string Method, string Id)> Calls => [.. CallLog];

        public void FailNext(int count, StatusCode status)
        {
            _failWith = status;
            Volatile.Write(ref _failures, count);
        }

        public override async Task<ReserveResponse> Reserve(ReserveRequest request, ServerCallContext context)
        {
            await EnterAsync("Reserve", request.ReservationId, context);
            return new ReserveResponse { Decision = Decision.Granted, ReservationId = request.ReservationId, Amount = request.Amount };
        }

        public override async Task<CommitResponse> Commit(CommitRequest request, ServerCallContext context)
        {
            await EnterAsync("Commit", request.ReservationId, context);
            return new CommitResponse { Committed = request.Amount };
        }

        public override async Task<ReleaseResponse> Release(ReleaseRequest request, ServerCallContext context)
        {
            await EnterAsync("Release", request.ReservationId, context);
            return new ReleaseResponse { Released = 5 };
        }

        public override async Task<ConsumeResponse> Consume(ConsumeRequest request, ServerCallContext context)
        {
            await EnterAsync("Consume", request.RequestId, context);
            return new ConsumeResponse { Decision = Decision.Granted };
        }

        private Task EnterAsync(string method, string id, ServerCallContext context)
        {
            CallLog.Enqueue((method, id));
            if (Interlocked.Decrement(ref _failures) >= 0)
            {
                throw new RpcException(new Status(_failWith, "injected failure"));
            }

            return Task.CompletedTask;
        }
    }
}
