using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Events;

/// <summary>ListEvents and WatchEvents through the real host and a real gRPC channel, on the embedded store and on
/// Redis (where the host's relay must move the events from the outbox for them to show).</summary>
public sealed class EventAdminTests : IDisposable
{
    private readonly SidecarFactory _embedded = new();
    private readonly SidecarFactory _redis = new SidecarFactory()
        .With("Quota:Store", "Redis")
        .With("Quota:Redis:ConnectionString", Environment.GetEnvironmentVariable("QUOTA_TEST_REDIS") ?? "127.0.0.1:6391")
        .With("Quota:Redis:KeyPrefix", $"test-{Guid.NewGuid():N}");

    public static TheoryData<string> Stores => ["embedded", "redis"];

    public void Dispose()
    {
        _embedded.Dispose();
        _redis.Dispose();
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_void_below_the_threshold_is_listed_and_watched_in_order(string store)
    {
        var admin = (store == "redis" ? _redis : _embedded).Admin;
        var id = $"acct-{Guid.NewGuid():N}";
        await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id, LowBalanceThreshold = 100 }, Calls.Admin());
        await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g1", Amount = 1_000 }, Calls.Admin());
        await admin.VoidGrantAsync(new VoidGrantRequest { AccountId = id, GrantId = "g1" }, Calls.Admin());

        var events = await ListUntilAsync(admin, id, 3);

        Assert.Equal(["balance.recovered", "balance.low", "balance.depleted"], events.Select(e => e.Type));
        Assert.Equal([$"{id}:1", $"{id}:2", $"{id}:3"], events.Select(e => e.EventId));
        Assert.Equal([1_000L, 0L, 0L], events.Select(e => e.Balance));
        Assert.All(events, e => Assert.Equal(100, e.Threshold));

        using var watch = admin.WatchEvents(new WatchEventsRequest { Cursor = events[0].Cursor }, Calls.Admin());
        var watched = new List<BalanceEvent>();
        while (watched.Count < 2 && await watch.ResponseStream.MoveNext())
        {
            if (watch.ResponseStream.Current.AccountId == id)
            {
                watched.Add(watch.ResponseStream.Current);
            }
        }

        Assert.Equal(events.Skip(1), watched);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_recharge_policy_requests_a_recharge_and_the_grant_with_its_id_recovers(string store)
    {
        var admin = (store == "redis" ? _redis : _embedded).Admin;
        var id = $"acct-{Guid.NewGuid():N}";
        await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id }, Calls.Admin());
        await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g1", Amount = 100 }, Calls.Admin());

        var state = await admin.SetRechargePolicyAsync(
            new SetRechargePolicyRequest { AccountId = id, Threshold = 200, Target = 1_000, MaxPerMonth = 2, Cooldown = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(10)) },
            Calls.Admin());
        var request = (await ListUntilAsync(admin, id, 2))[1];
        await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = request.RechargeId, Amount = request.Amount }, Calls.Admin());
        var got = await admin.GetRechargePolicyAsync(new GetRechargePolicyRequest { AccountId = id }, Calls.Admin());

        Assert.Equal(1, state.Requests);
        Assert.Equal("recharge.requested", request.Type);
        Assert.Equal(("recharge-1", 900L, 100L), (request.RechargeId, request.Amount, request.Balance));
        Assert.True(got.HasPolicy);
        Assert.Equal((200L, 1_000L, 2, TimeSpan.FromMinutes(10), 1, 1L), (got.Threshold, got.Target, got.MaxPerMonth, got.Cooldown.ToTimeSpan(), got.RequestedThisMonth, got.Requests));
        var account = await admin.GetAccountAsync(new GetAccountRequest { AccountId = id }, Calls.Admin());
        Assert.Equal(1_000, account.Balance.Available);
    }

    [Fact]
    public async Task A_bad_recharge_policy_is_invalid_and_names_the_field()
    {
        var admin = _embedded.Admin;
        var target = await Assert.ThrowsAsync<RpcException>(async () => await admin.SetRechargePolicyAsync(new SetRechargePolicyRequest { AccountId = "seeded", Threshold = 10, Target = 10, MaxPerMonth = 1 }, Calls.Admin()));
        var cooldown = await Assert.ThrowsAsync<RpcException>(async () => await admin.SetRechargePolicyAsync(new SetRechargePolicyRequest { AccountId = "seeded", Threshold = 10, Target = 20, MaxPerMonth = 1, Cooldown = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromDays(40)) }, Calls.Admin()));
        var cap = await Assert.ThrowsAsync<RpcException>(async () => await admin.SetRechargePolicyAsync(new SetRechargePolicyRequest { AccountId = "seeded", Threshold = 10, Target = 20, MaxPerMonth = -1 }, Calls.Admin()));
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await admin.GetRechargePolicyAsync(new GetRechargePolicyRequest { AccountId = "ghost" }, Calls.Admin()));

        Assert.All([target, cooldown, cap], e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("target", target.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("cooldown", cooldown.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("max_per_month", cap.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Usage_through_the_quota_api_crosses_at_the_settle_pass_and_the_relay_publishes_it()
    {
        var id = $"acct-{Guid.NewGuid():N}";
        var admin = _redis.Admin;
        await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id, LowBalanceThreshold = 100 }, Calls.Admin());
        await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g1", Amount = 1_000 }, Calls.Admin());

        // 950 of the 1,000 credits, 10 at a time; a Consume the lease cannot cover yet may be denied while the
        // sidecar's share of the account is refilled, so count the granted ones.
        var granted = 0;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (granted < 95 && DateTime.UtcNow < deadline)
        {
            var answer = await _redis.Quota.ConsumeAsync(new ConsumeRequest { AccountId = id, Amount = 10 }, Calls.Deadline);
            granted += answer.Decision == Decision.Granted ? 1 : 0;
        }

        Assert.Equal(95, granted);

        var low = (await ListUntilAsync(admin, id, 2))[1];
        Assert.Equal("balance.low", low.Type);
        Assert.InRange(low.Balance, 50, 100);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task The_expiry_pass_warns_of_a_grant_on_an_account_nobody_touches(string store)
    {
        // A short pass over the whole test Redis (every key in one step), a 3-day lead.
        using var factory = (store == "redis" ? new SidecarFactory()
                .With("Quota:Store", "Redis")
                .With("Quota:Redis:ConnectionString", Environment.GetEnvironmentVariable("QUOTA_TEST_REDIS") ?? "127.0.0.1:6391")
                .With("Quota:Redis:KeyPrefix", $"test-{Guid.NewGuid():N}")
            : new SidecarFactory())
            .With("Quota:Events:GrantExpiringLead", "3.00:00:00")
            .With("Quota:Events:ExpiryPassInterval", "00:00:00.100")
            .With("Quota:Events:ExpiryPassCount", "100000");
        var admin = factory.Admin;
        var id = $"acct-{Guid.NewGuid():N}";
        var expiresAt = DateTimeOffset.UtcNow.AddDays(2);
        await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id }, Calls.Admin());
        await admin.GrantCreditsAsync(
            new GrantCreditsRequest { AccountId = id, GrantId = "promo", Amount = 700, ExpiresAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(expiresAt) },
            Calls.Admin());
        await admin.GrantCreditsAsync(
            new GrantCreditsRequest { AccountId = id, GrantId = "later", Amount = 50, ExpiresAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(expiresAt.AddDays(2)) },
            Calls.Admin());

        // Nothing touches the account after its grants: only the pass can find it.
        var events = await ListUntilAsync(admin, id, 2);
        await Task.Delay(500); // several more pass steps: still one warning

        Assert.Equal(["balance.recovered", "grant.expiring"], events.Select(e => e.Type));
        Assert.Equal(("promo", 700L, 750L), (events[1].GrantId, events[1].Amount, events[1].Balance));
        Assert.Equal(2, (await admin.ListEventsAsync(new ListEventsRequest { AccountId = id, Limit = 1000 }, Calls.Admin())).Events.Count);
    }

    [Fact]
    public async Task Bad_arguments_are_invalid_and_a_missing_token_is_unauthenticated()
    {
        var admin = _embedded.Admin;
        var limit = await Assert.ThrowsAsync<RpcException>(async () => await admin.ListEventsAsync(new ListEventsRequest { Limit = 1001 }, Calls.Admin()));
        var after = await Assert.ThrowsAsync<RpcException>(async () => await admin.ListEventsAsync(new ListEventsRequest { After = "yesterday" }, Calls.Admin()));
        var account = await Assert.ThrowsAsync<RpcException>(async () => await admin.ListEventsAsync(new ListEventsRequest { AccountId = "no spaces" }, Calls.Admin()));
        using var watch = admin.WatchEvents(new WatchEventsRequest { Cursor = "1-x" }, Calls.Admin());
        var cursor = await Assert.ThrowsAsync<RpcException>(async () => await watch.ResponseStream.MoveNext());
        var token = await Assert.ThrowsAsync<RpcException>(async () => await admin.ListEventsAsync(new ListEventsRequest(), Calls.Deadline));

        Assert.All([limit, after, account, cursor], e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("limit", limit.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("after", after.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("account_id", account.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("cursor", cursor.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, token.StatusCode);
    }

    // Polls with a deadline: on Redis the relay runs in the background after the call that decided the event.
    private static async Task<List<BalanceEvent>> ListUntilAsync(QuotaAdmin.QuotaAdminClient admin, string id, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var page = await admin.ListEventsAsync(new ListEventsRequest { AccountId = id, Limit = 1000 }, Calls.Admin());
            if (page.Events.Count >= count || DateTime.UtcNow > deadline)
            {
                return [.. page.Events];
            }

            await Task.Delay(20);
        }
    }
}
