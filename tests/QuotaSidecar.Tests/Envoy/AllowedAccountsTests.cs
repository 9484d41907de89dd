using QuotaSidecar.Api.Envoy.Auth.V3;
using QuotaSidecar.Api.Envoy.RateLimit.V3;
using QuotaSidecar.Tests.Infrastructure;
using Code = QuotaSidecar.Api.Envoy.RateLimit.V3.RateLimitResponse.Types.Code;
using HttpCode = QuotaSidecar.Api.Envoy.Type.V3.StatusCode;

namespace QuotaSidecar.Tests.Envoy;

/// <summary>Quota:AllowedAccounts binds the Envoy APIs too: other accounts are denied (not failed) and not charged.</summary>
public sealed class AllowedAccountsTests : IDisposable
{
    private readonly SidecarFactory _factory = new SidecarFactory().With("Quota:AllowedAccounts:0", "envoy-*");

    [Fact]
    public async Task Ext_authz_denies_an_account_outside_the_allow_list_with_403()
    {
        var allowed = await EnvoySidecar.NewAccountAsync(_factory, 10);
        var outside = await EnvoySidecar.NewAccountAsync(_factory, 10, id: $"other-{Guid.NewGuid():N}");
        var client = new Authorization.AuthorizationClient(_factory.Channel);

        var granted = await client.CheckAsync(EnvoyRequests.Check("GET", "/", allowed), Calls.Deadline);
        var denied = await client.CheckAsync(EnvoyRequests.Check("GET", "/", outside), Calls.Deadline);

        Assert.Equal(0, granted.Status.Code);
        Assert.Equal(HttpCode.Forbidden, denied.DeniedResponse.Status.Code);
        Assert.Contains(denied.DeniedResponse.Headers, h => h.Header.Key == "x-quota-denied-reason" && h.Header.Value == "account_not_allowed");
        Assert.Equal(9, await EnvoySidecar.SpendableAsync(_factory, allowed));
    }

    [Fact]
    public async Task Rate_limit_is_over_limit_for_an_account_outside_the_allow_list_and_charges_nothing()
    {
        var allowed = await EnvoySidecar.NewAccountAsync(_factory, 10);
        var outside = $"other-{Guid.NewGuid():N}";
        var client = new RateLimitService.RateLimitServiceClient(_factory.Channel);

        var response = await client.ShouldRateLimitAsync(EnvoyRequests.RateLimit(1, [("quota_account", allowed)], [("quota_account", outside)]), Calls.Deadline);

        Assert.Equal(Code.OverLimit, response.OverallCode);
        Assert.Equal([Code.Ok, Code.OverLimit], response.Statuses.Select(s => s.Code));
        Assert.Contains(response.ResponseHeadersToAdd, h => h.Key == "x-quota-denied-reason" && h.Value == "account_not_allowed");
        Assert.Equal(10, await EnvoySidecar.SpendableAsync(_factory, allowed));
    }

    public void Dispose() => _factory.Dispose();
}
