using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Grpc;

/// <summary>A sidecar with an account allow list spends only those accounts.</summary>
public sealed class AccountAllowListTests
{
    [Fact]
    public async Task Only_allowed_accounts_can_be_spent()
    {
        await using var sidecar = new SidecarFactory()
            .With("Quota:AllowedAccounts:0", "seeded")
            .With("Quota:AllowedAccounts:1", "team-a-*");

        var allowed = await sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = "seeded", Amount = 1 }, Calls.Deadline);
        var prefixed = await sidecar.Quota.ReserveAsync(new ReserveRequest { AccountId = "team-a-unknown", Amount = 1 }, Calls.Deadline);
        var e1 = await Assert.ThrowsAsync<RpcException>(async () => await sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = "other", Amount = 1 }, Calls.Deadline));
        var e2 = await Assert.ThrowsAsync<RpcException>(async () => await sidecar.Quota.ReserveAsync(new ReserveRequest { AccountId = "team-b-x", Amount = 1 }, Calls.Deadline));
        var e3 = await Assert.ThrowsAsync<RpcException>(async () => await sidecar.Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = "other" }, Calls.Deadline));

        Assert.Equal(Decision.Granted, allowed.Decision);
        Assert.Equal(DenyReason.UnknownAccount, prefixed.DenyReason);
        Assert.All([e1, e2, e3], e => Assert.Equal(StatusCode.PermissionDenied, e.StatusCode));
        Assert.Contains("Quota:AllowedAccounts", e1.Status.Detail, StringComparison.Ordinal);
    }
}
