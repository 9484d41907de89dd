using Grpc.Core;
using Microsoft.Extensions.Configuration;
using QuotaSidecar.Configuration;
using QuotaSidecar.Events;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Events;

/// <summary>Webhook delivery from the real host (embedded store) to a real HTTP receiver: signatures, retries with
/// backoff, the failed list and redelivery (docs/design.md#webhooks).</summary>
public sealed class WebhookDeliveryTests
{
    [Fact]
    public async Task Each_event_is_posted_once_signed_with_its_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var sidecar = Sidecar(receiver);
        var id = await DrainedAccountAsync(sidecar.Admin);

        // Delivered concurrently: in any order (the body's cursor orders them).
        var got = Of(id, await receiver.WaitForAsync(r => Of(id, r).Count >= 3, TimeSpan.FromSeconds(10))).OrderBy(r => r.Id, StringComparer.Ordinal).ToList();

        Assert.Equal(["balance.recovered", "balance.low", "balance.depleted"], got.Select(r => r.Type));
        Assert.Equal([$"{id}:1", $"{id}:2", $"{id}:3"], got.Select(r => r.Id));
        Assert.All(got, r => Assert.True(r.SignatureValid, $"bad signature on {r.Id}: {r.Body}"));
        Assert.All(got, r => Assert.Equal(id, r.AccountId));
    }

    [Fact]
    public async Task A_failing_receiver_gets_the_same_id_again_until_it_answers_2xx()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var id = NewAccountId();
        var attempts = 0;
        receiver.Respond = (_, r) => Task.FromResult(r.AccountId != id ? 200 : Interlocked.Increment(ref attempts) <= 3 ? 503 : 200);
        using var sidecar = Sidecar(receiver);
        await sidecar.Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id, LowBalanceThreshold = 10 }, Calls.Admin());
        await sidecar.Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g1", Amount = 100 }, Calls.Admin());

        var got = Of(id, await receiver.WaitForAsync(r => Of(id, r).Count >= 4, TimeSpan.FromSeconds(10)));
        await Task.Delay(300); // nothing more may come once one was answered 2xx

        Assert.Equal(4, Of(id, receiver.Requests).Count);
        Assert.All(got, r => Assert.Equal($"{id}:1", r.Id));
        Assert.Empty((await sidecar.Admin.ListFailedDeliveriesAsync(new ListFailedDeliveriesRequest(), Calls.Admin())).Deliveries);
    }

    [Fact]
    public async Task Out_of_attempts_an_event_is_listed_as_failed_and_redelivered_on_request()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var up = false;
        var id = NewAccountId();
        receiver.Respond = (_, r) => Task.FromResult(r.AccountId != id || Volatile.Read(ref up) ? 200 : 500);
        using var sidecar = Sidecar(receiver);
        await sidecar.Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id, LowBalanceThreshold = 10 }, Calls.Admin());
        await sidecar.Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g1", Amount = 100 }, Calls.Admin());

        ListFailedDeliveriesResponse failed;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            await Task.Delay(20);
            failed = await sidecar.Admin.ListFailedDeliveriesAsync(new ListFailedDeliveriesRequest(), Calls.Admin());
        }
        while (failed.Deliveries.Count == 0 && DateTime.UtcNow < deadline);

        var f = Assert.Single(failed.Deliveries);
        Assert.Equal($"{id}:1", f.Event.EventId);
        Assert.Equal(4, f.Attempts);
        Assert.Equal("HTTP 500", f.LastError);
        Assert.Equal(4, Of(id, receiver.Requests).Count);

        Volatile.Write(ref up, true);
        await sidecar.Admin.RedeliverEventAsync(new RedeliverEventRequest { EventId = f.Event.EventId }, Calls.Admin());
        var got = Of(id, await receiver.WaitForAsync(r => Of(id, r).Count >= 5, TimeSpan.FromSeconds(10)));

        Assert.Equal($"{id}:1", got[4].Id);
        Assert.True(got[4].SignatureValid);
        Assert.Empty((await sidecar.Admin.ListFailedDeliveriesAsync(new ListFailedDeliveriesRequest(), Calls.Admin())).Deliveries);
        var again = await Assert.ThrowsAsync<RpcException>(async () =>
            await sidecar.Admin.RedeliverEventAsync(new RedeliverEventRequest { EventId = f.Event.EventId }, Calls.Admin()));
        Assert.Equal(StatusCode.NotFound, again.StatusCode);
    }

    [Theory]
    [InlineData("Webhook:Url", "ftp://x", "Quota:Events:Webhook:Url must be an absolute http or https URL")]
    [InlineData("Webhook:Secret", "not-a-secret", "Quota:Events:Webhook:Secret must be 'whsec_'")]
    [InlineData("Webhook:ClaimIdle", "00:00:05", "Quota:Events:Webhook:ClaimIdle must be longer than")]
    [InlineData("Webhook:MaxAttempts", "0", "Quota:Events:Webhook:MaxAttempts must be between 1 and 100")]
    public void Bad_webhook_settings_are_rejected_without_showing_the_secret(string key, string value, string message)
    {
        var options = new QuotaOptions();
        options.Events.Webhook.Url = "https://billing.example/hooks";
        options.Events.Webhook.Secret = WebhookReceiver.Secret;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Quota:Events:" + key] = value }).Build();
        configuration.GetSection("Quota").Bind(options);

        var result = new EventOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.Contains(message, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("MfKQ9r8GKYqr", failure, StringComparison.Ordinal);
    }

    private static SidecarFactory Sidecar(WebhookReceiver receiver) => new SidecarFactory()
        .With("Quota:Events:Webhook:Url", receiver.Url)
        .With("Quota:Events:Webhook:Secret", WebhookReceiver.Secret)
        .With("Quota:Events:Webhook:MaxAttempts", "4")
        .With("Quota:Events:Webhook:Timeout", "00:00:02")
        .With("Quota:Events:Webhook:InitialBackoff", "00:00:00.010")
        .With("Quota:Events:Webhook:MaxBackoff", "00:00:00.050")
        .With("Quota:Events:Webhook:ClaimIdle", "00:00:05")
        .With("Quota:Events:WatchPollInterval", "00:00:00.020");

    private static List<WebhookReceiver.Received> Of(string accountId, IEnumerable<WebhookReceiver.Received> requests) =>
        [.. requests.Where(r => r.AccountId == accountId)];

    private static string NewAccountId() => $"acct-{Guid.NewGuid():N}";

    // Created (threshold 100), bought 1,000, then the grant voided: recovered, low, depleted.
    private static async Task<string> DrainedAccountAsync(QuotaAdmin.QuotaAdminClient admin)
    {
        var id = NewAccountId();
        await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id, LowBalanceThreshold = 100 }, Calls.Admin());
        await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g1", Amount = 1_000 }, Calls.Admin());
        await admin.VoidGrantAsync(new VoidGrantRequest { AccountId = id, GrantId = "g1" }, Calls.Admin());
        return id;
    }
}
