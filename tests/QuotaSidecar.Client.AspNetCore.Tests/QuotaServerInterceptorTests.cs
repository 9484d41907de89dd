using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace QuotaSidecar.Client.AspNetCore.Tests;

/// <summary>The gRPC interceptor in a real ASP.NET Core gRPC server, deciding through a real sidecar.</summary>
[Collection(GuardedAppCollection.Name)]
public sealed class QuotaServerInterceptorTests
{
    private readonly GuardedApp _app;

    public QuotaServerInterceptorTests(GuardedApp app) => _app = app;

    [Fact]
    public async Task A_granted_call_is_committed_at_the_attribute_cost_until_the_credits_run_out()
    {
        var account = await _app.Sidecar.NewAccountAsync(12);

        var first = await CallAsync(TestReportsBase.RenderMethod, account);
        var second = await CallAsync(TestReportsBase.RenderMethod, account);
        var denied = await Assert.ThrowsAsync<RpcException>(() => CallAsync(TestReportsBase.RenderMethod, account));

        Assert.Equal("rendered x", first.Value);
        Assert.Equal("rendered x", second.Value);
        Assert.Equal(StatusCode.ResourceExhausted, denied.StatusCode);
        Assert.Contains("insufficient_credits", denied.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("insufficient_credits", denied.Trailers.GetValue("x-quota-denied-reason"));
        var balance = await _app.Sidecar.BalanceAsync(account);
        Assert.Equal(2, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Fact]
    public async Task A_failing_handler_releases_its_hold()
    {
        var account = await _app.Sidecar.NewAccountAsync(100);

        var e = await Assert.ThrowsAsync<RpcException>(() => CallAsync(TestReportsBase.FailMethod, account));

        Assert.Equal(StatusCode.Unknown, e.StatusCode);
        var balance = await _app.Sidecar.BalanceAsync(account);
        Assert.Equal(100, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Fact]
    public async Task Configured_costs_apply_and_unpriced_methods_are_not_charged()
    {
        var account = await _app.Sidecar.NewAccountAsync(100);

        await CallAsync(TestReportsBase.PricedMethod, account);
        await CallAsync(TestReportsBase.FreeMethod, account);
        await CallAsync(TestReportsBase.FreeMethod, account: null);

        Assert.Equal(93, (await _app.Sidecar.BalanceAsync(account)).Spendable);
    }

    [Fact]
    public async Task A_handler_that_commits_its_actual_usage_is_charged_that_much()
    {
        var account = await _app.Sidecar.NewAccountAsync(100);

        await CallAsync(TestReportsBase.MeasuredMethod, account);

        var balance = await _app.Sidecar.BalanceAsync(account);
        Assert.Equal(97, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Fact]
    public async Task A_call_without_an_account_is_unauthenticated()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => CallAsync(TestReportsBase.RenderMethod, account: null));

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("header 'x-quota-account' is required", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("missing_account", e.Trailers.GetValue("x-quota-denied-reason"));
    }

    [Fact]
    public async Task An_unknown_account_is_resource_exhausted_with_its_reason()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => CallAsync(TestReportsBase.RenderMethod, "nobody-by-that-name"));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal("unknown_account", e.Trailers.GetValue("x-quota-denied-reason"));
    }

    [Theory]
    [InlineData("ok", 3, 97)]
    [InlineData("fail", 1, 100)]
    public async Task A_server_stream_is_committed_when_it_completes_and_released_when_it_fails(string mode, int pages, long spendable)
    {
        var account = await _app.Sidecar.NewAccountAsync(100);
        var received = new List<string>();

        var call = _app.Channel!.CreateCallInvoker().AsyncServerStreamingCall(
            TestReportsBase.PagesMethod, null, new CallOptions(new Metadata { { "x-quota-account", account } }, DateTime.UtcNow.AddSeconds(15)), new StringValue { Value = mode });
        var status = StatusCode.OK;
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                received.Add(call.ResponseStream.Current.Value);
            }
        }
        catch (RpcException e)
        {
            status = e.StatusCode;
        }

        Assert.Equal(pages, received.Count);
        Assert.Equal(mode == "ok" ? StatusCode.OK : StatusCode.DataLoss, status);
        var balance = await _app.Sidecar.BalanceAsync(account);
        Assert.Equal(spendable, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Fact]
    public async Task A_shadow_denied_call_goes_through_with_the_reason_in_a_trailer_and_charges_nothing()
    {
        var account = await _app.Sidecar.NewAccountAsync(3, shadow: true);
        var headers = new Metadata { { "x-quota-account", account } };

        using var call = _app.Channel!.CreateCallInvoker().AsyncUnaryCall(
            TestReportsBase.RenderMethod, null, new CallOptions(headers, DateTime.UtcNow.AddSeconds(15)), new StringValue { Value = "x" });
        var response = await call;

        Assert.Equal("rendered x", response.Value);
        Assert.Equal("insufficient_credits", call.GetTrailers().GetValue("x-quota-shadow-denied"));
        var balance = await _app.Sidecar.BalanceAsync(account);
        Assert.Equal(3, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    private async Task<StringValue> CallAsync(Method<StringValue, StringValue> method, string? account)
    {
        var headers = new Metadata();
        if (account is not null)
        {
            headers.Add("x-quota-account", account);
        }

        return await _app.Channel!.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(headers, DateTime.UtcNow.AddSeconds(15)), new StringValue { Value = "x" });
    }
}
