using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace QuotaSidecar.Client.AspNetCore.Tests;

/// <summary>How a request maps to an account: header, claim, or a resolver; and options refused at start.</summary>
public sealed class QuotaGateTests
{
    [Fact]
    public void The_header_names_the_account_by_default()
    {
        var http = new DefaultHttpContext();
        http.Request.Headers["x-quota-account"] = " acme ";

        Assert.Equal("acme", new QuotaGate(new QuotaAuthorizationOptions()).Account(http));
    }

    [Fact]
    public void With_a_claim_type_the_authenticated_claim_is_used_and_the_header_ignored()
    {
        var http = new DefaultHttpContext { User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("tenant_id", "tenant-7")], "test")) };
        http.Request.Headers["x-quota-account"] = "spoofed";
        var anonymous = new DefaultHttpContext();
        anonymous.Request.Headers["x-quota-account"] = "spoofed";
        var gate = new QuotaGate(new QuotaAuthorizationOptions { AccountClaim = "tenant_id" });

        Assert.Equal("tenant-7", gate.Account(http));
        Assert.Null(gate.Account(anonymous));
    }

    [Fact]
    public void A_resolver_wins_over_header_and_claim()
    {
        var http = new DefaultHttpContext();
        http.Request.Headers["x-quota-account"] = "from-header";
        http.Request.Headers["x-team"] = "team-9";

        var gate = new QuotaGate(new QuotaAuthorizationOptions { AccountResolver = h => h.Request.Headers["x-team"].ToString() });

        Assert.Equal("team-9", gate.Account(http));
    }

    [Theory]
    [InlineData(500, "DeniedStatusCode must be 429 or 402")]
    [InlineData(0, "DefaultCost must be >= 1")]
    public void Bad_options_are_refused_with_the_option_named(int value, string message)
    {
        var options = new QuotaAuthorizationOptions();
        if (value == 500)
        {
            options.DeniedStatusCode = value;
        }
        else
        {
            options.DefaultCost = value;
        }

        var result = new QuotaAuthorizationOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }
}
