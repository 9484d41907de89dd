using System.Text.Json;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Usage;

/// <summary>Usage labels end to end in the real host over a gRPC channel (docs/design.md#usage-labels, #usage-export):
/// labels on Reserve, Commit and Consume reach the ledger, GetUsage reads them back filtered, and each applied
/// exchange's usage arrives as CloudEvents at a real HTTP server.</summary>
public sealed class UsageEndToEndTests : IAsyncLifetime
{
    private EventReceiver _receiver = null!;
    private SidecarFactory _sidecar = null!;

    public async Task InitializeAsync()
    {
        _receiver = await EventReceiver.StartAsync();
        _receiver.FailFirst = 1; // the first POST fails: the batch is retried, with the same event ids
        _sidecar = new SidecarFactory()
            .With("Quota:Usage:Export:Endpoint", _receiver.Endpoint)
            .With("Quota:Usage:Export:MinBackoff", "00:00:00.05")
            .With("Quota:Settle:Interval", "00:00:00.05");
    }

    public async Task DisposeAsync()
    {
        _sidecar.Dispose();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task Labelled_usage_is_in_the_ledger_by_label_set_and_exported_as_cloudevents()
    {
        var account = await NewAccountAsync(1_000);
        var hold = await _sidecar.Quota.ReserveAsync(new ReserveRequest { AccountId = account, Amount = 50, Labels = { ["model"] = "large", ["region"] = "eu" } }, Calls.Deadline);
        await _sidecar.Quota.CommitAsync(new CommitRequest { ReservationId = hold.ReservationId, Amount = 30 }, Calls.Deadline);
        await _sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 5, Labels = { ["model"] = "large", ["region"] = "us" } }, Calls.Deadline);
        await _sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 7, Labels = { ["model"] = "small" } }, Calls.Deadline);
        await _sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = account, Amount = 2 }, Calls.Deadline);

        await EventReceiver.WaitForAsync(async () => (await UsageAsync(account)).Total == 42, "the labelled usage in the ledger");
        var large = await UsageAsync(account, ("model", "large"));
        var largeEu = await UsageAsync(account, ("model", "large"), ("region", "eu"));
        await EventReceiver.WaitForAsync(() => Task.FromResult(Amounts(account).Sum() == 44), "the exported events");

        Assert.Equal(35, large.Total);
        Assert.Equal(2, large.Usage.Count);
        var eu = Assert.Single(largeEu.Usage);
        Assert.Equal(30, eu.Amount);
        Assert.Equal(new Dictionary<string, string> { ["model"] = "large", ["region"] = "eu" }, eu.Labels);
        Assert.False(eu.Overflow);

        var events = _receiver.Accepted.Where(e => e.GetProperty("subject").GetString() == account).ToList();
        var euEvent = Assert.Single(events, e => Labels(e).GetValueOrDefault("region") == "eu");
        Assert.Equal("1.0", euEvent.GetProperty("specversion").GetString());
        Assert.Equal("com.quotasidecar.usage", euEvent.GetProperty("type").GetString());
        Assert.Equal("quota-sidecar", euEvent.GetProperty("source").GetString());
        Assert.Equal(30, euEvent.GetProperty("data").GetProperty("amount").GetInt64());
        Assert.Equal(account, euEvent.GetProperty("data").GetProperty("account_id").GetString());
        Assert.Matches($"^[^:]+:{account}:[0-9]+:[0-9a-f]{{16}}$", euEvent.GetProperty("id").GetString());
        Assert.True(DateTimeOffset.TryParse(euEvent.GetProperty("time").GetString(), out _));
        Assert.Contains(events, e => Labels(e).Count == 0 && e.GetProperty("data").GetProperty("amount").GetInt64() == 2);
        Assert.Equal(events.Count, events.Select(e => e.GetProperty("id").GetString()).Distinct().Count());
        Assert.All(_receiver.Posts, p => Assert.StartsWith("application/cloudevents-batch+json", p.ContentType, StringComparison.Ordinal));

        // The refused first POST was retried with the same ids: the receiver can deduplicate.
        var refused = _receiver.Posts.First(p => !p.Accepted).Events.Select(e => e.GetProperty("id").GetString());
        Assert.Subset(_receiver.Accepted.Select(e => e.GetProperty("id").GetString()).ToHashSet(), refused.ToHashSet());
    }

    [Fact]
    public async Task Usage_needs_the_admin_token_and_a_known_account()
    {
        var noToken = await Assert.ThrowsAsync<RpcException>(() => _sidecar.Admin.GetUsageAsync(new GetUsageRequest { AccountId = "seeded" }, Calls.Deadline).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => _sidecar.Admin.GetUsageAsync(new GetUsageRequest { AccountId = "no-such-account" }, Calls.Admin()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, noToken.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    private IEnumerable<long> Amounts(string account) =>
        _receiver.Accepted.Where(e => e.GetProperty("subject").GetString() == account).Select(e => e.GetProperty("data").GetProperty("amount").GetInt64());

    private static Dictionary<string, string> Labels(JsonElement e) =>
        e.GetProperty("data").GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    private async Task<GetUsageResponse> UsageAsync(string account, params (string Key, string Value)[] filter)
    {
        var request = new GetUsageRequest { AccountId = account };
        foreach (var (key, value) in filter)
        {
            request.Labels[key] = value;
        }

        return await _sidecar.Admin.GetUsageAsync(request, Calls.Admin());
    }

    private async Task<string> NewAccountAsync(long credits)
    {
        var id = $"acct-{Guid.NewGuid():N}";
        await _sidecar.Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id }, Calls.Admin());
        await _sidecar.Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "g", Amount = credits }, Calls.Admin());
        return id;
    }
}
