using QuotaSidecar.Api.Envoy.Auth.V3;
using QuotaSidecar.Api.Envoy.RateLimit.V3;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Envoy;
using QuotaSidecar.Tests.Infrastructure;
using Code = QuotaSidecar.Api.Envoy.RateLimit.V3.RateLimitResponse.Types.Code;

namespace QuotaSidecar.Tests.Grpc;

/// <summary>Shadow mode end to end on the real host: a would-be denial of a shadowed account is answered GRANTED with
/// shadow_denied and its reason, charging nothing, on the Quota API and both Envoy APIs; other accounts are enforced.</summary>
public sealed class ShadowModeTests : IDisposable
{
    private readonly SidecarFactory _factory = EnvoySidecar.Configure(new SidecarFactory()).With("Quota:ShadowAccounts:0", "shadow-*");

    [Fact]
    public async Task Consume_beyond_the_balance_of_a_shadowed_account_is_granted_flagged_and_not_charged()
    {
        var account = await EnvoySidecar.NewAccountAsync(_factory, 10, id: $"shadow-{Guid.NewGuid():N}");

        var within = await _factory.Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 4 }, Calls.Deadline);
        var beyond = await _factory.Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 100 }, Calls.Deadline);

        Assert.Equal(Decision.Granted, within.Decision);
        Assert.False(within.ShadowDenied);
        Assert.Equal(Decision.Granted, beyond.Decision);
        Assert.True(beyond.ShadowDenied);
        Assert.Equal(DenyReason.InsufficientCredits, beyond.ShadowReason);
        Assert.Equal(DenyReason.Unspecified, beyond.DenyReason);
        Assert.Equal(6, await EnvoySidecar.SpendableAsync(_factory, account)); // the 4 charged, not the 100
    }

    [Fact]
    public async Task Reserve_of_a_shadowed_account_is_granted_with_nothing_held()
    {
        var account = await EnvoySidecar.NewAccountAsync(_factory, 10, id: $"shadow-{Guid.NewGuid():N}");

        var reserve = await _factory.Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 50, ReservationId = "r-shadow" }, Calls.Deadline);
        var unknown = await _factory.Quota.ReserveAsync(new ReserveRequest { AccountId = "shadow-nobody", Amount = 1 }, Calls.Deadline);

        Assert.Equal(Decision.Granted, reserve.Decision);
        Assert.True(reserve.ShadowDenied);
        Assert.Equal(DenyReason.InsufficientCredits, reserve.ShadowReason);
        Assert.Equal("", reserve.ReservationId);
        Assert.Equal(0, reserve.Amount);
        Assert.True(unknown.ShadowDenied);
        Assert.Equal(DenyReason.UnknownAccount, unknown.ShadowReason);
        var balance = await _factory.Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = account }, Calls.Deadline);
        Assert.Equal(10, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Fact]
    public async Task Accounts_outside_the_shadow_list_are_still_denied()
    {
        var account = await EnvoySidecar.NewAccountAsync(_factory, 10);

        var consume = await _factory.Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 100 }, Calls.Deadline);

        Assert.Equal(Decision.Denied, consume.Decision);
        Assert.Equal(DenyReason.InsufficientCredits, consume.DenyReason);
        Assert.False(consume.ShadowDenied);
    }

    [Fact]
    public async Task Global_shadow_mode_covers_every_account()
    {
        using var factory = EnvoySidecar.Configure(new SidecarFactory()).With("Quota:Shadow", "true");
        var account = await EnvoySidecar.NewAccountAsync(factory, 1);

        var consume = await factory.Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 5 }, Calls.Deadline);

        Assert.Equal(Decision.Granted, consume.Decision);
        Assert.True(consume.ShadowDenied);
        Assert.Equal(1, await EnvoySidecar.SpendableAsync(factory, account));
    }

    [Fact]
    public async Task Ext_authz_lets_a_shadow_denied_request_through_with_the_reason_for_the_upstream()
    {
        var account = await EnvoySidecar.NewAccountAsync(_factory, 3, id: $"shadow-{Guid.NewGuid():N}");
        var client = new Authorization.AuthorizationClient(_factory.Channel);

        var first = await client.CheckAsync(EnvoyRequests.Check("GET", "/v1/x", account), Calls.Deadline); // cost 2
        var second = await client.CheckAsync(EnvoyRequests.Check("GET", "/v1/x", account), Calls.Deadline); // 1 left: shadow

        Assert.Equal(0, first.Status.Code);
        Assert.DoesNotContain(first.OkResponse.Headers, h => h.Header.Key == "x-quota-shadow-denied");
        Assert.Equal(0, second.Status.Code);
        Assert.NotNull(second.OkResponse);
        Assert.Contains(second.OkResponse.Headers, h => h.Header.Key == "x-quota-shadow-denied" && h.Header.Value == "insufficient_credits");
        Assert.Equal(1, await EnvoySidecar.SpendableAsync(_factory, account));
    }

    [Fact]
    public async Task Rate_limit_answers_ok_for_a_shadow_denied_account_and_still_charges_the_others()
    {
        var shadowed = await EnvoySidecar.NewAccountAsync(_factory, 1, id: $"shadow-{Guid.NewGuid():N}");
        var enforced = await EnvoySidecar.NewAccountAsync(_factory, 10);
        var client = new RateLimitService.RateLimitServiceClient(_factory.Channel);

        var single = await client.ShouldRateLimitAsync(EnvoyRequests.RateLimit(5, [("quota_account", shadowed)]), Calls.Deadline);
        var both = await client.ShouldRateLimitAsync(EnvoyRequests.RateLimit(3, [("quota_account", enforced)], [("quota_account", shadowed)]), Calls.Deadline);

        Assert.Equal(Code.Ok, single.OverallCode);
        Assert.Contains(single.ResponseHeadersToAdd, h => h.Key == "x-quota-shadow-denied" && h.Value == "insufficient_credits");
        Assert.Equal(Code.Ok, both.OverallCode);
        Assert.Equal([Code.Ok, Code.Ok], both.Statuses.Select(s => s.Code));
        Assert.Equal(1, await EnvoySidecar.SpendableAsync(_factory, shadowed));
        Assert.Equal(7, await EnvoySidecar.SpendableAsync(_factory, enforced));
    }

    public void Dispose() => _factory.Dispose();
}
