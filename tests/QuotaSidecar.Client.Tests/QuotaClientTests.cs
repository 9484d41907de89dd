using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using QuotaSidecar.Client.Tests.Infrastructure;

namespace QuotaSidecar.Client.Tests;

/// <summary>The typed client, registered with AddQuotaClient, against the real sidecar over TCP and a Unix socket.</summary>
public sealed class QuotaClientTests : IClassFixture<SidecarRun>, IDisposable
{
    private readonly SidecarRun _sidecar;
    private readonly List<ServiceProvider> _providers = [];

    public QuotaClientTests(SidecarRun sidecar) => _sidecar = sidecar;

    public static TheoryData<string> Transports => ["tcp", "unix"];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_scoped_hold_is_reserved_and_committed_with_the_actual_usage(string transport)
    {
        var quota = Client(transport);
        var account = await _sidecar.NewAccountAsync(1_000);

        QuotaCommitResult commit;
        await using (var hold = await quota.ReserveAsync(account, 30))
        {
            Assert.True(hold.Granted);
            Assert.Equal(30, hold.Amount);
            Assert.Equal(970, hold.BalanceHint);
            Assert.StartsWith("qc-", hold.ReservationId, StringComparison.Ordinal);
            commit = await hold.CommitAsync(25);
            Assert.Equal(QuotaHoldState.Committed, hold.State);
        }

        var balance = await quota.GetBalanceAsync(account);
        Assert.Equal(new QuotaCommitResult(25, 5, 0, 975), commit);
        Assert.Equal(975, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Fact]
    public async Task A_shadow_denied_hold_and_consume_are_granted_flagged_and_charge_nothing()
    {
        var quota = Client("tcp");
        var account = await _sidecar.NewAccountAsync(10, shadow: true);

        QuotaCommitResult commit;
        await using (var hold = await quota.ReserveAsync(account, 50))
        {
            Assert.True(hold.Granted);
            Assert.True(hold.ShadowDenied);
            Assert.Equal(QuotaDenyReason.InsufficientCredits, hold.ShadowReason);
            Assert.Equal(QuotaHoldState.Shadow, hold.State);
            Assert.Equal(0, hold.Amount);
            commit = await hold.CommitAsync(50); // nothing to commit: no call, no charge
        }

        var consume = await quota.ConsumeAsync(account, 500);

        Assert.Equal(0, commit.Committed);
        Assert.True(consume.Granted);
        Assert.True(consume.ShadowDenied);
        Assert.Equal(QuotaDenyReason.InsufficientCredits, consume.ShadowReason);
        var balance = await quota.GetBalanceAsync(account);
        Assert.Equal(10, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Disposing_a_hold_that_was_not_committed_releases_it(string transport)
    {
        var quota = Client(transport);
        var account = await _sidecar.NewAccountAsync(100);
        QuotaHold? kept = null;

        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var hold = await quota.ReserveAsync(account, 60);
            kept = hold;
            Assert.Equal(60, (await _sidecar.BalanceAsync(account)).Held);
            throw new InvalidOperationException("the work failed");
        });

        var balance = await _sidecar.BalanceAsync(account);
        Assert.Equal("the work failed", e.Message);
        Assert.Equal(QuotaHoldState.Released, kept!.State);
        Assert.Equal(100, balance.Spendable);
        Assert.Equal(0, balance.Held);
    }

    [Fact]
    public async Task A_denial_is_a_result_with_a_reason_and_has_nothing_to_settle()
    {
        var quota = Client("tcp");
        var account = await _sidecar.NewAccountAsync(10);

        await using var hold = await quota.ReserveAsync(account, 11);
        var unknown = await quota.ConsumeAsync("nobody-by-that-name", 1);

        Assert.False(hold.Granted);
        Assert.Equal(QuotaDenyReason.InsufficientCredits, hold.DenyReason);
        Assert.Equal(QuotaHoldState.Denied, hold.State);
        Assert.Null(hold.ExpiresAt);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => hold.CommitAsync(1));
        Assert.Contains("was denied (InsufficientCredits)", e.Message, StringComparison.Ordinal);
        Assert.False(unknown.Granted);
        Assert.Equal(QuotaDenyReason.UnknownAccount, unknown.DenyReason);
        Assert.Equal(account, hold.DeniedAccountId);
        Assert.Equal("nobody-by-that-name", unknown.DeniedAccountId);
    }

    [Fact]
    public async Task A_hold_is_settled_once()
    {
        var quota = Client("unix");
        var account = await _sidecar.NewAccountAsync(100);

        var hold = await quota.ReserveAsync(account, 10, new ReserveOptions { ReservationId = "job-" + Guid.NewGuid().ToString("N"), Ttl = TimeSpan.FromSeconds(30) });
        await hold.ReleaseAsync();
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() => hold.CommitAsync(10));
        await hold.DisposeAsync();

        Assert.Contains("already released", again.Message, StringComparison.Ordinal);
        Assert.Equal(100, (await quota.GetBalanceAsync(account)).Spendable);
    }

    [Fact]
    public async Task Consume_charges_at_once_and_malformed_input_is_an_RpcException()
    {
        var quota = Client("tcp");
        var account = await _sidecar.NewAccountAsync(100);

        var consumed = await quota.ConsumeAsync(account, 40, new ConsumeOptions { RequestId = "req-" + Guid.NewGuid().ToString("N") });
        var invalid = await Assert.ThrowsAsync<RpcException>(() => quota.ConsumeAsync(account, 0));

        Assert.True(consumed.Granted);
        Assert.Equal(60, consumed.BalanceHint);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("amount", invalid.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuotaChannel_serves_callers_without_dependency_injection()
    {
        using var channel = QuotaChannel.ForAddress(_sidecar.UnixAddress);
        var quota = new QuotaClient(channel.CreateCallInvoker());
        var account = await _sidecar.NewAccountAsync(10);

        var consumed = await quota.ConsumeAsync(account, 3);

        Assert.True(consumed.Granted);
        Assert.Equal(7, (await _sidecar.BalanceAsync(account)).Spendable);
    }

    public void Dispose()
    {
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }
    }

    private IQuotaClient Client(string transport)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddQuotaClient(o => o.Address = transport == "unix" ? _sidecar.UnixAddress : _sidecar.TcpAddress);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<IQuotaClient>();
    }
}
