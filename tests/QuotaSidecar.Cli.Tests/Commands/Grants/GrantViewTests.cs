using Google.Protobuf.WellKnownTypes;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Commands.Grants;

namespace QuotaSidecar.Cli.Tests.Commands.Grants;

public sealed class GrantViewTests
{
    private static readonly DateTimeOffset Now = new(2025, 7, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_grant_in_its_window_is_active()
    {
        Assert.Equal("active", GrantView.State(Grant(effective: Now.AddDays(-1), expires: Now.AddDays(1)), Now));
        Assert.Equal("active", GrantView.State(Grant(effective: Now, expires: null), Now));
    }

    [Fact]
    public void A_grant_not_yet_effective_is_pending()
    {
        Assert.Equal("pending", GrantView.State(Grant(effective: Now.AddSeconds(1), expires: null), Now));
    }

    [Fact]
    public void A_grant_at_or_past_its_expiry_is_expired()
    {
        Assert.Equal("expired", GrantView.State(Grant(effective: Now.AddDays(-2), expires: Now), Now));
    }

    [Fact]
    public void Voided_wins_over_every_other_state()
    {
        var grant = Grant(effective: Now.AddDays(-2), expires: Now.AddDays(-1));
        grant.VoidedAt = Timestamp.FromDateTimeOffset(Now.AddDays(-3));

        Assert.Equal("voided", GrantView.State(grant, Now));
    }

    private static Grant Grant(DateTimeOffset effective, DateTimeOffset? expires) => new()
    {
        GrantId = "g",
        EffectiveAt = Timestamp.FromDateTimeOffset(effective),
        ExpiresAt = expires is { } at ? Timestamp.FromDateTimeOffset(at) : null,
    };
}
