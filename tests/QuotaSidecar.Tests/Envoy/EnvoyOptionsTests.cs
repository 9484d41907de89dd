using Microsoft.Extensions.Options;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Envoy;

/// <summary>Bad Quota:Envoy settings stop the start with a message that names the setting.</summary>
public sealed class EnvoyOptionsTests
{
    [Theory]
    [InlineData("Quota:Envoy:DeniedStatus", "500", "Quota:Envoy:DeniedStatus must be 429 (Too Many Requests) or 402")]
    [InlineData("Quota:Envoy:AccountHeader", "x quota", "Quota:Envoy:AccountHeader must be a header name")]
    [InlineData("Quota:Envoy:DefaultCost", "0", "Quota:Envoy:DefaultCost must be 1..")]
    [InlineData("Quota:Envoy:PathCosts:0:Prefix", "v1/reports", "Quota:Envoy:PathCosts:0:Prefix must start with '/'")]
    [InlineData("Quota:Envoy:AccountSource", "SourcePrincipal", "Quota:Envoy:PrincipalAccounts is empty")]
    [InlineData("Quota:Envoy:RateLimit:CostKey", "quota_account", "must differ")]
    public void Bad_settings_are_rejected_at_start(string key, string value, string message)
    {
        using var factory = new SidecarFactory().With(key, value).With("Quota:Envoy:PathCosts:0:Cost", "3");

        var e = Assert.ThrowsAny<Exception>(() => factory.Server);

        var failures = e is OptionsValidationException v ? string.Join('\n', v.Failures) : e.ToString();
        Assert.True(failures.Contains(message, StringComparison.Ordinal), $"expected \"{message}\" in:\n{e}");
    }

    [Fact]
    public async Task Disabled_envoy_apis_are_not_served()
    {
        using var factory = new SidecarFactory().With("Quota:Envoy:Enabled", "false");

        var e = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () =>
            await new Api.Envoy.Auth.V3.Authorization.AuthorizationClient(factory.Channel).CheckAsync(EnvoyRequests.Check("GET", "/", "a"), Calls.Deadline));

        Assert.Equal(global::Grpc.Core.StatusCode.Unimplemented, e.StatusCode);
    }
}
