using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Grpc;

/// <summary>The hot-path RPCs over a real gRPC channel, with every error code the contract names.</summary>
public sealed class QuotaServiceTests : IClassFixture<SidecarFactory>
{
    private readonly SidecarFactory _sidecar;

    public QuotaServiceTests(SidecarFactory sidecar) => _sidecar = sidecar;

    private Quota.QuotaClient Quota => _sidecar.Quota;

    [Fact]
    public async Task Reserve_commit_release_and_consume_work_end_to_end()
    {
        var account = await NewAccountAsync(1_000);

        var reserved = await Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 100, Ttl = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)) }, Calls.Deadline);
        var committed = await Quota.CommitAsync(new CommitRequest { ReservationId = reserved.ReservationId, Amount = 60 }, Calls.Deadline);
        var other = await Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 10, ReservationId = "mine-1" }, Calls.Deadline);
        var released = await Quota.ReleaseAsync(new ReleaseRequest { ReservationId = "mine-1" }, Calls.Deadline);
        var consumed = await Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 40 }, Calls.Deadline);
        var balance = await Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = account }, Calls.Deadline);

        Assert.Equal(Decision.Granted, reserved.Decision);
        Assert.Equal(100, reserved.Amount);
        Assert.NotNull(reserved.ExpiresAt);
        Assert.Equal(900, reserved.BalanceHint);
        Assert.Equal(new CommitResponse { Committed = 60, Released = 40, BalanceHint = 940 }, committed);
        Assert.Equal("mine-1", other.ReservationId);
        Assert.Equal(10, released.Released);
        Assert.Equal(Decision.Granted, consumed.Decision);
        Assert.Equal(900, balance.Spendable);
        Assert.Equal(0, balance.Held);
        Assert.Equal(account, balance.AccountId);
    }

    [Fact]
    public async Task Denials_are_responses_with_a_reason()
    {
        var account = await NewAccountAsync(10);

        var tooMuch = await Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 11 }, Calls.Deadline);
        var unknown = await Quota.ConsumeAsync(new ConsumeRequest { AccountId = "nobody-here", Amount = 1 }, Calls.Deadline);

        Assert.Equal(Decision.Denied, tooMuch.Decision);
        Assert.Equal(DenyReason.InsufficientCredits, tooMuch.DenyReason);
        Assert.Null(tooMuch.ExpiresAt);
        Assert.Equal(DenyReason.UnknownAccount, unknown.DenyReason);
    }

    [Fact]
    public async Task Suspended_account_is_denied_at_once_after_an_admin_change_here()
    {
        var account = await NewAccountAsync(100);
        await Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 1 }, Calls.Deadline);

        await _sidecar.Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = account, Status = AccountStatus.Suspended, OverageMode = OverageMode.Hard }, Calls.Admin());
        var r = await Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 1 }, Calls.Deadline);

        Assert.Equal(DenyReason.AccountSuspended, r.DenyReason);
    }

    [Fact]
    public async Task Soft_account_reports_overage_and_low_balance()
    {
        var account = await NewAccountAsync(100, OverageMode.Soft, overageLimit: 50, lowBalance: 20);

        var r = await Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 130 }, Calls.Deadline);

        Assert.Equal(Decision.Granted, r.Decision);
        Assert.True(r.Overage);
        Assert.True(r.LowBalance);
        var b = await Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = account, Consistent = true }, Calls.Deadline);
        Assert.Equal(130, b.Held);
        Assert.Equal(20, b.OverageHeadroom);
    }

    [Fact]
    public async Task Unknown_reservation_is_not_found()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Quota.CommitAsync(new CommitRequest { ReservationId = "never-made", Amount = 1 }, Calls.Deadline));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("never-made", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commit_after_release_is_failed_precondition_and_retries_return_the_first_result()
    {
        var account = await NewAccountAsync(100);
        var r = await Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 10 }, Calls.Deadline);
        var first = await Quota.ReleaseAsync(new ReleaseRequest { ReservationId = r.ReservationId }, Calls.Deadline);

        var again = await Quota.ReleaseAsync(new ReleaseRequest { ReservationId = r.ReservationId }, Calls.Deadline);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Quota.CommitAsync(new CommitRequest { ReservationId = r.ReservationId, Amount = 10 }, Calls.Deadline));

        Assert.Equal(first.Released, again.Released);
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("released", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reusing_a_reservation_id_with_other_parameters_is_already_exists()
    {
        var account = await NewAccountAsync(100);
        var first = await Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 10, ReservationId = $"{account}-r" }, Calls.Deadline);

        var same = await Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 10, ReservationId = $"{account}-r" }, Calls.Deadline);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 11, ReservationId = $"{account}-r" }, Calls.Deadline));

        Assert.Equal(first, same);
        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        var b = await Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = account }, Calls.Deadline);
        Assert.Equal(10, b.Held);
    }

    [Fact]
    public async Task Consume_request_id_is_idempotent_and_conflicts_are_already_exists()
    {
        var account = await NewAccountAsync(100);
        var id = $"{account}-c";

        await Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 30, RequestId = id }, Calls.Deadline);
        await Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 30, RequestId = id }, Calls.Deadline);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 31, RequestId = id }, Calls.Deadline));

        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        var b = await Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = account }, Calls.Deadline);
        Assert.Equal(70, b.Spendable);
    }

    [Fact]
    public async Task GetBalance_of_an_unknown_account_is_not_found()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = "ghost" }, Calls.Deadline));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task The_seeded_account_is_served()
    {
        var r = await Quota.ConsumeAsync(new ConsumeRequest { AccountId = "seeded", Amount = 1 }, Calls.Deadline);

        Assert.Equal(Decision.Granted, r.Decision);
    }

    private async Task<string> NewAccountAsync(long credits, OverageMode mode = OverageMode.Hard, long overageLimit = 0, long lowBalance = 0)
    {
        var id = $"acct-{Guid.NewGuid():N}";
        await _sidecar.Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id, OverageMode = mode, OverageLimit = overageLimit, LowBalanceThreshold = lowBalance }, Calls.Admin());
        await _sidecar.Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g1", Amount = credits }, Calls.Admin());
        return id;
    }
}
