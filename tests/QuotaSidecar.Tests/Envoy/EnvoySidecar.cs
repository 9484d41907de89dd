using QuotaSidecar.Api.Envoy.Auth.V3;
using QuotaSidecar.Api.Envoy.RateLimit.V3;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Envoy;

/// <summary>The real host in memory with Envoy settings the tests rely on: path costs, and the cost header enabled.</summary>
public sealed class EnvoySidecar : IDisposable
{
    public EnvoySidecar()
    {
        Factory = Configure(new SidecarFactory());
    }

    public SidecarFactory Factory { get; }

    public Authorization.AuthorizationClient Authorization => new(Factory.Channel);

    public RateLimitService.RateLimitServiceClient RateLimit => new(Factory.Channel);

    public static SidecarFactory Configure(SidecarFactory factory) => factory
        .With("Quota:Envoy:CostHeader", "X-Quota-Cost")
        .With("Quota:Envoy:PathCosts:0:Prefix", "/v1/reports")
        .With("Quota:Envoy:PathCosts:0:Method", "POST")
        .With("Quota:Envoy:PathCosts:0:Cost", "5")
        .With("Quota:Envoy:PathCosts:1:Prefix", "/v1/")
        .With("Quota:Envoy:PathCosts:1:Cost", "2");

    /// <summary>A new account with <paramref name="credits"/> credits (HARD), made through the admin API.</summary>
    public static async Task<string> NewAccountAsync(SidecarFactory factory, long credits, long lowBalance = 0, string? id = null)
    {
        id ??= NewAccountId();
        await factory.Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id, OverageMode = OverageMode.Hard, LowBalanceThreshold = lowBalance }, Calls.Admin());
        await factory.Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g1", Amount = credits }, Calls.Admin());
        return id;
    }

    public static string NewAccountId() => $"envoy-{Guid.NewGuid():N}";

    public static async Task<long> SpendableAsync(SidecarFactory factory, string account) =>
        (await factory.Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = account }, Calls.Deadline)).Spendable;

    public Task<string> NewAccountAsync(long credits, long lowBalance = 0) => NewAccountAsync(Factory, credits, lowBalance);

    public Task<long> SpendableAsync(string account) => SpendableAsync(Factory, account);

    public void Dispose() => Factory.Dispose();
}
