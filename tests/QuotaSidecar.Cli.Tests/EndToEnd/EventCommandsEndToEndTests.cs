using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Cli.Tests.EndToEnd;

/// <summary>quotactl events list / tail / redeliver against a real gRPC server that demands a bearer token.</summary>
[Collection(FakeSidecarCollection.Name)]
public sealed class EventCommandsEndToEndTests(FakeSidecar sidecar)
{
    [Fact]
    public async Task Events_list_sends_the_filter_and_prints_a_row_per_event_and_the_next_cursor()
    {
        var result = await Admin("events", "list", "--account", "globex", "--after", "1767225600000-0", "--limit", "2");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var request = sidecar.Recorder.Single<ListEventsRequest>("ListEvents", r => r.AccountId == "globex").Request;
        Assert.Equal(("1767225600000-0", 2), (request.After, request.Limit));
        Assert.Contains("globex:1", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("recharge recharge-1 amount 950", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("more: --after 1767225600000-1", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_list_failed_shows_attempts_and_the_last_error()
    {
        var result = await Admin("events", "list", "--failed");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Contains("acme:2", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("HTTP 503", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_tail_prints_each_event_as_a_line_until_the_stream_ends()
    {
        var result = await Admin("events", "tail", "--cursor", "1767225599999-0");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("acme:1  balance.low  balance 50", lines[0], StringComparison.Ordinal);
        Assert.Equal("1767225599999-0", sidecar.Recorder.Single<WatchEventsRequest>("WatchEvents", r => r.Cursor == "1767225599999-0").Request.Cursor);
    }

    [Fact]
    public async Task Events_redeliver_queues_a_failed_event_and_an_unknown_one_is_not_found()
    {
        var ok = await Admin("events", "redeliver", "acme:2");
        var missing = await Admin("events", "redeliver", "acme:9");

        Assert.True(ok.ExitCode == ExitCodes.Success, ok.ToString());
        Assert.Contains("acme:2 queued", ok.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.RpcError, missing.ExitCode);
        Assert.Contains("NOT_FOUND", missing.Stderr, StringComparison.Ordinal);
    }

    private Task<CliResult> Admin(params string[] args) =>
        Quotactl.RunAsync([.. args, "--target", sidecar.TcpTarget, "--token", FakeQuotaAdminService.Token]);
}
