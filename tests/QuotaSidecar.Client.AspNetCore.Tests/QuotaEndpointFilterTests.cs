using System.Net;
using System.Text.Json;

namespace QuotaSidecar.Client.AspNetCore.Tests;

/// <summary>The HTTP endpoint filter (RequireQuota) in a real ASP.NET Core app, deciding through a real sidecar.</summary>
[Collection(GuardedAppCollection.Name)]
public sealed class QuotaEndpointFilterTests
{
    private readonly GuardedApp _app;

    public QuotaEndpointFilterTests(GuardedApp app) => _app = app;

    [Fact]
    public async Task Granted_until_the_credits_run_out_then_429_with_the_reason()
    {
        var account = await _app.Sidecar.NewAccountAsync(45);

        using var first = await SendAsync(HttpMethod.Post, "/exports/a", account);
        using var second = await SendAsync(HttpMethod.Post, "/exports/b", account);
        using var denied = await SendAsync(HttpMethod.Post, "/exports/c", account);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, denied.StatusCode);
        Assert.Equal("insufficient_credits", denied.Headers.GetValues("x-quota-denied-reason").Single());
        Assert.Equal("application/problem+json", denied.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await denied.Content.ReadAsStringAsync());
        Assert.Equal("insufficient_credits", problem.RootElement.GetProperty("reason").GetString());
        Assert.Equal(5, (await _app.Sidecar.BalanceAsync(account)).Spendable);
    }

    [Theory]
    [InlineData("/cheap", 2)]      // RequireQuota(2)
    [InlineData("/attributed", 4)] // [QuotaCost(4)] on the handler
    [InlineData("/unpriced", 1)]   // RequireQuota() with nothing pricing it
    [InlineData("/measured", 1)]   // holds 6, the handler commits 1
    public async Task The_cost_comes_from_the_endpoint(string path, long cost)
    {
        var account = await _app.Sidecar.NewAccountAsync(100);

        using var response = await SendAsync(HttpMethod.Get, path, account);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var balance = await _app.Sidecar.BalanceAsync(account);
        Assert.Equal(100 - cost, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Fact]
    public async Task A_handler_that_throws_releases_its_hold()
    {
        var account = await _app.Sidecar.NewAccountAsync(100);

        // TestServer hands the app's exception to the client instead of a 500.
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => SendAsync(HttpMethod.Get, "/throws", account));

        Assert.Equal("the handler crashed", e.Message);
        var balance = await _app.Sidecar.BalanceAsync(account);
        Assert.Equal(100, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Theory]
    [InlineData("/status500", HttpStatusCode.InternalServerError)]
    [InlineData("/notfound", HttpStatusCode.NotFound)]
    public async Task A_failing_handler_releases_its_hold(string path, HttpStatusCode status)
    {
        var account = await _app.Sidecar.NewAccountAsync(100);

        using var response = await SendAsync(HttpMethod.Get, path, account);

        Assert.Equal(status, response.StatusCode);
        var balance = await _app.Sidecar.BalanceAsync(account);
        Assert.Equal(100, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Fact]
    public async Task A_request_without_an_account_is_401()
    {
        using var response = await SendAsync(HttpMethod.Get, "/cheap", account: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("missing_account", response.Headers.GetValues("x-quota-denied-reason").Single());
    }

    [Fact]
    public async Task A_shadow_denied_request_goes_through_with_the_reason_in_a_header_and_charges_nothing()
    {
        var account = await _app.Sidecar.NewAccountAsync(1, shadow: true);

        using var response = await SendAsync(HttpMethod.Get, "/cheap", account);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("cheap", await response.Content.ReadAsStringAsync());
        Assert.Equal("insufficient_credits", response.Headers.GetValues("x-quota-shadow-denied").Single());
        Assert.Equal(1, (await _app.Sidecar.BalanceAsync(account)).Spendable);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? account)
    {
        using var request = new HttpRequestMessage(method, path);
        if (account is not null)
        {
            request.Headers.Add("x-quota-account", account);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await _app.Http!.SendAsync(request, cts.Token);
    }
}
