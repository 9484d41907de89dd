using QuotaSidecar.Tests.Usage;

namespace QuotaSidecar.Tests.Hosting;

/// <summary>Usage labels with the real executable and the real quotactl (docs/design.md#usage-labels): a label's usage
/// in the ledger through <c>quotactl ledger ACCOUNT --label k=v</c>, and in a CloudEvent at a real HTTP server.</summary>
public sealed partial class ExecutableTests
{
    [Fact]
    public async Task A_labels_usage_shows_in_quotactl_ledger_and_arrives_as_a_cloudevent()
    {
        await using var receiver = await EventReceiver.StartAsync();
        await using var sidecar = await SidecarProcess.StartAsync(
            new Dictionary<string, string>
            {
                ["Quota__Admin__Token"] = Token,
                ["Quota__Seed__Accounts__0__AccountId"] = "acme",
                ["Quota__Seed__Accounts__0__Credits"] = "1000",
                ["Quota__Usage__Export__Endpoint"] = receiver.Endpoint,
            });
        var tcp = sidecar.TcpTarget;

        var large = await Quotactl(tcp, "consume", "acme", "25", "--label", "model=large", "--label", "feature=chat");
        var small = await Quotactl(tcp, "consume", "acme", "4", "--label", "model=small");
        var reserved = await Quotactl(tcp, "reserve", "acme", "10", "--id", "job-7", "--label", "model=large", "--label", "feature=batch");
        var committed = await Quotactl(tcp, "commit", "job-7", "6");
        string? ledger = null;
        await EventReceiver.WaitForAsync(
            async () =>
            {
                var run = await Quotactl(tcp, "--token", Token, "ledger", "acme", "--label", "model=large");
                ledger = run.Stdout;
                return run.ExitCode == 0 && ledger.Contains("31", StringComparison.Ordinal);
            },
            "the labelled usage in quotactl ledger --label");
        await EventReceiver.WaitForAsync(() => Task.FromResult(receiver.Accepted.Sum(e => e.GetProperty("data").GetProperty("amount").GetInt64()) == 35), "the exported events");
        var json = await Quotactl(tcp, "--token", Token, "--json", "ledger", "acme", "--usage");
        var mixed = await Quotactl(tcp, "--token", Token, "ledger", "acme", "--label", "model=large", "--all");
        var reservedKey = await Quotactl(tcp, "consume", "acme", "1", "--label", "_overflow=true");

        Assert.True(large.ExitCode == 0 && small.ExitCode == 0 && reserved.ExitCode == 0 && committed.ExitCode == 0, $"{large}\n{small}\n{reserved}\n{committed}");
        Assert.Contains("feature=chat, model=large", ledger, StringComparison.Ordinal);
        Assert.Contains("feature=batch, model=large", ledger, StringComparison.Ordinal);
        Assert.DoesNotContain("model=small", ledger, StringComparison.Ordinal);
        Assert.Matches(@"total\s+31", ledger!);
        Assert.Contains("\"total\": \"35\"", json.Stdout, StringComparison.Ordinal);
        Assert.True(mixed.ExitCode == 2, mixed.ToString());
        Assert.True(reservedKey.ExitCode == 1, reservedKey.ToString());
        Assert.Contains("reserved", reservedKey.Stderr, StringComparison.Ordinal);

        var chat = Assert.Single(receiver.Accepted, e => e.GetProperty("data").GetProperty("labels").TryGetProperty("feature", out var f) && f.GetString() == "chat");
        Assert.Equal("acme", chat.GetProperty("subject").GetString());
        Assert.Equal(25, chat.GetProperty("data").GetProperty("amount").GetInt64());
        Assert.Equal("large", chat.GetProperty("data").GetProperty("labels").GetProperty("model").GetString());
        Assert.Contains("Usage export on: CloudEvents to " + receiver.Endpoint, sidecar.Output, StringComparison.Ordinal);
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{sidecar.HttpPort}/metrics"));
        Assert.Matches(@"(?m)^quota_usage_export_exported_total(\{[^}]*\})? [1-9]", metrics);
        Assert.Matches(@"(?m)^quota_usage_export_queue(\{[^}]*\})? 0", metrics);
    }
}
