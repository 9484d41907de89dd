using Grpc.Core;
using QuotaSidecar.Api.Envoy.RateLimit.V3;
using QuotaSidecar.Tests.Infrastructure;
using Code = QuotaSidecar.Api.Envoy.RateLimit.V3.RateLimitResponse.Types.Code;

namespace QuotaSidecar.Tests.Envoy;

/// <summary>envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit over a real gRPC channel, shaped as Envoy's
/// rate limit filter sends it.</summary>
public sealed class RateLimitServiceTests : IClassFixture<EnvoySidecar>
{
    private readonly EnvoySidecar _sidecar;

    public RateLimitServiceTests(EnvoySidecar sidecar) => _sidecar = sidecar;

    [Theory]
    [InlineData(0u, 1)] // unset hits_addend means one hit
    [InlineData(1u, 1)]
    [InlineData(7u, 7)]
    public async Task Hits_addend_is_the_cost(uint hitsAddend, long cost)
    {
        var account = await _sidecar.NewAccountAsync(100);

        var response = await ShouldRateLimitAsync(EnvoyRequests.RateLimit(hitsAddend, [("generic_key", "reports"), ("quota_account", account)]));

        Assert.Equal(Code.Ok, response.OverallCode);
        Assert.Equal(Code.Ok, Assert.Single(response.Statuses).Code);
        Assert.Equal((uint)(100 - cost), response.Statuses[0].LimitRemaining);
        Assert.Equal(100 - cost, await _sidecar.SpendableAsync(account));
    }

    [Fact]
    public async Task A_cost_entry_overrides_hits_addend()
    {
        var account = await _sidecar.NewAccountAsync(100);

        var response = await ShouldRateLimitAsync(EnvoyRequests.RateLimit(4, [("quota_account", account), ("quota_cost", "30")]));

        Assert.Equal(Code.Ok, response.OverallCode);
        Assert.Equal(70, await _sidecar.SpendableAsync(account));
    }

    [Fact]
    public async Task Over_limit_once_the_credits_run_out_with_the_reason_and_no_charge()
    {
        var account = await _sidecar.NewAccountAsync(10);
        var request = EnvoyRequests.RateLimit(4, [("quota_account", account)]);

        var first = await ShouldRateLimitAsync(request);
        var second = await ShouldRateLimitAsync(request);
        var third = await ShouldRateLimitAsync(request);

        Assert.Equal(Code.Ok, first.OverallCode);
        Assert.Equal(Code.Ok, second.OverallCode);
        Assert.Equal(Code.OverLimit, third.OverallCode);
        Assert.Equal(Code.OverLimit, Assert.Single(third.Statuses).Code);
        Assert.Contains(third.ResponseHeadersToAdd, h => h.Key == "x-quota-denied-reason" && h.Value == "insufficient_credits");
        Assert.Contains("insufficient_credits", third.RawBody.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Equal(2, await _sidecar.SpendableAsync(account));
    }

    [Fact]
    public async Task Descriptors_without_an_account_are_not_charged_and_answer_ok()
    {
        var account = await _sidecar.NewAccountAsync(10);

        var response = await ShouldRateLimitAsync(EnvoyRequests.RateLimit(1, [("remote_address", "10.0.0.1")], [("quota_account", account)]));

        Assert.Equal(Code.Ok, response.OverallCode);
        Assert.Equal([Code.Ok, Code.Ok], response.Statuses.Select(s => s.Code));
        Assert.Equal(9, await _sidecar.SpendableAsync(account));
    }

    [Fact]
    public async Task Several_accounts_are_charged_all_or_nothing()
    {
        var rich = await _sidecar.NewAccountAsync(100);
        var poor = await _sidecar.NewAccountAsync(3);

        var both = await ShouldRateLimitAsync(EnvoyRequests.RateLimit(3, [("quota_account", rich)], [("quota_account", poor)]));
        var again = await ShouldRateLimitAsync(EnvoyRequests.RateLimit(3, [("quota_account", rich)], [("quota_account", poor)]));

        Assert.Equal(Code.Ok, both.OverallCode);
        Assert.Equal(Code.OverLimit, again.OverallCode);
        Assert.Equal([Code.Ok, Code.OverLimit], again.Statuses.Select(s => s.Code));
        Assert.Equal(97, await _sidecar.SpendableAsync(rich)); // the granted part of the denied request was given back
        Assert.Equal(0, await _sidecar.SpendableAsync(poor));
    }

    [Fact]
    public async Task An_unknown_account_is_over_limit()
    {
        var response = await ShouldRateLimitAsync(EnvoyRequests.RateLimit(1, [("quota_account", "nobody-by-that-name")]));

        Assert.Equal(Code.OverLimit, response.OverallCode);
        Assert.Contains(response.ResponseHeadersToAdd, h => h.Key == "x-quota-denied-reason" && h.Value == "unknown_account");
    }

    public static TheoryData<RateLimitRequest, string> BadRequests() => new()
    {
        { new RateLimitRequest { HitsAddend = 1 }, "domain is required" },
        { new RateLimitRequest { Domain = "quota" }, "descriptors must have at least one descriptor" },
        { Without(EnvoyRequests.RateLimit(1, [("quota_account", "a")], [("quota_account", "b")]), 1), "descriptors[1].entries must not be empty" },
        { EnvoyRequests.RateLimit(1, [("quota_account", "a"), ("", "x")]), "descriptors[0].entries[1].key is required" },
        { EnvoyRequests.RateLimit(1, [("remote_address", "10.0.0.1")]), "none has an entry with key 'quota_account'" },
        { EnvoyRequests.RateLimit(1, [("quota_account", "a b")]), "descriptors[0].entries[0].value (quota_account) may contain only" },
        { EnvoyRequests.RateLimit(1, [("quota_account", "a"), ("quota_cost", "0")]), "descriptors[0].entries[1].value (quota_cost) must be a whole number" },
        { EnvoyRequests.RateLimit(1, [("quota_account", "a"), ("quota_cost", "lots")]), "(got 'lots')" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Malformed_requests_are_invalid_argument_naming_the_field(RateLimitRequest request, string message)
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await ShouldRateLimitAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(message, e.Status.Detail, StringComparison.Ordinal);
    }

    private static RateLimitRequest Without(RateLimitRequest request, int descriptor)
    {
        request.Descriptors[descriptor].Entries.Clear();
        return request;
    }

    private async Task<RateLimitResponse> ShouldRateLimitAsync(RateLimitRequest request) =>
        await _sidecar.RateLimit.ShouldRateLimitAsync(request, Calls.Deadline);
}
