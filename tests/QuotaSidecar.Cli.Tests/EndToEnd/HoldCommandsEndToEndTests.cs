using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Cli.Tests.EndToEnd;

/// <summary>reserve, commit, release, consume and balance against a real gRPC server, over TCP and a Unix socket.</summary>
[Collection(FakeSidecarCollection.Name)]
public sealed class HoldCommandsEndToEndTests(FakeSidecar sidecar)
{
    [Fact]
    public async Task Reserve_prints_the_granted_hold_and_sends_every_argument()
    {
        var result = await Quotactl.RunAsync(
            "reserve", "acct-reserve", "10", "--id", "res-e2e-1", "--ttl", "30s",
            "--label", "operation=chat", "caller=cli", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(
            """
            GRANTED
            reservation   res-e2e-1
            amount        10
            expires       2025-07-01T09:30:30Z
            balance hint  990
            low balance   no
            overage       no

            """,
            result.Stdout);
        Assert.Empty(result.Stderr);
        var (request, authorization) = sidecar.Recorder.Single<ReserveRequest>("Reserve", r => r.ReservationId == "res-e2e-1");
        Assert.Equal("acct-reserve", request.AccountId);
        Assert.Equal(10, request.Amount);
        Assert.Equal(TimeSpan.FromSeconds(30), request.Ttl.ToTimeSpan());
        Assert.Equal(new Dictionary<string, string> { ["operation"] = "chat", ["caller"] = "cli" }, request.Labels);
        Assert.Null(authorization);
    }

    [Fact]
    public async Task Reserve_works_over_a_unix_socket()
    {
        var result = await Quotactl.RunAsync("reserve", "acct-uds", "5", "--id", "res-uds-1", "--target", sidecar.SocketTarget);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal("GRANTED", result.Lines[0]);
        Assert.Equal("acct-uds", sidecar.Recorder.Single<ReserveRequest>("Reserve", r => r.ReservationId == "res-uds-1").Request.AccountId);
    }

    [Fact]
    public async Task Reserve_without_ttl_or_id_leaves_them_to_the_sidecar()
    {
        var result = await Quotactl.RunAsync("reserve", "acct-defaults", "7", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Contains("reservation   res-made-by-sidecar", result.Lines);
        var (request, _) = sidecar.Recorder.Single<ReserveRequest>("Reserve", r => r.AccountId == "acct-defaults");
        Assert.Null(request.Ttl);
        Assert.Empty(request.ReservationId);
        Assert.Empty(request.Labels);
    }

    [Fact]
    public async Task Denied_reserve_prints_the_reason_and_exits_3()
    {
        var result = await Quotactl.RunAsync("reserve", "broke-reserve", "10", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.Denied, result.ToString());
        Assert.Equal(
            """
            DENIED (INSUFFICIENT_CREDITS)
            denied by     broke-reserve
            balance hint  3
            low balance   yes
            overage       no

            """,
            result.Stdout);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task Denied_consume_as_json_prints_the_response_and_exits_3()
    {
        var result = await Quotactl.RunAsync("consume", "broke-consume", "10", "--request-id", "req-1", "--json", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.Denied, result.ToString());
        var response = ConsumeResponse.Parser.ParseJson(result.Stdout);
        Assert.Equal(Decision.Denied, response.Decision);
        Assert.Equal(DenyReason.InsufficientCredits, response.DenyReason);
        Assert.Contains("\"decision\": \"DECISION_DENIED\"", result.Stdout, StringComparison.Ordinal);
        Assert.Equal("req-1", sidecar.Recorder.Single<ConsumeRequest>("Consume", r => r.AccountId == "broke-consume").Request.RequestId);
    }

    [Fact]
    public async Task Granted_consume_exits_0()
    {
        var result = await Quotactl.RunAsync("consume", "acct-consume", "25", "--label", "job=nightly", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(["GRANTED", "balance hint  975", "low balance   no", "overage       no"], result.Lines);
        Assert.Equal("nightly", sidecar.Recorder.Single<ConsumeRequest>("Consume", r => r.AccountId == "acct-consume").Request.Labels["job"]);
    }

    [Fact]
    public async Task A_shadow_mode_grant_says_what_enforcement_would_have_answered_and_exits_0()
    {
        var result = await Quotactl.RunAsync("consume", "shadow-acct", "25", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal("GRANTED (SHADOW: would deny INSUFFICIENT_CREDITS)", result.Lines[0]);
    }

    [Fact]
    public async Task Server_error_prints_one_line_on_stderr_and_exits_1()
    {
        var result = await Quotactl.RunAsync("reserve", "acct-zero", "0", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.RpcError, result.ToString());
        Assert.Equal("error: INVALID_ARGUMENT: amount must be between 1 and 9007199254740992 (got 0)" + Environment.NewLine, result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Commit_prints_the_settlement_with_aligned_numbers()
    {
        var result = await Quotactl.RunAsync("commit", "res-commit", "60", "--label", "model=small", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(["committed      60", "released       40", "overage         0", "balance hint  880"], result.Lines);
        var (request, _) = sidecar.Recorder.Single<CommitRequest>("Commit", r => r.ReservationId == "res-commit");
        Assert.Equal(60, request.Amount);
        Assert.Equal("small", request.Labels["model"]);
    }

    [Fact]
    public async Task Commit_of_an_unknown_reservation_is_NOT_FOUND()
    {
        var result = await Quotactl.RunAsync("commit", "missing", "1", "--target", sidecar.TcpTarget);

        Assert.Equal(ExitCodes.RpcError, result.ExitCode);
        Assert.Equal("error: NOT_FOUND: reservation 'missing' not found", result.Stderr.TrimEnd());
    }

    [Fact]
    public async Task Release_prints_what_went_back()
    {
        var result = await Quotactl.RunAsync("release", "res-release", "--target", sidecar.SocketTarget);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(["released        25", "balance hint  1025"], result.Lines);
        sidecar.Recorder.Single<ReleaseRequest>("Release", r => r.ReservationId == "res-release");
    }

    [Fact]
    public async Task Balance_passes_consistent_and_prints_the_view()
    {
        var result = await Quotactl.RunAsync("balance", "acct-balance", "--consistent", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(
            """
            account           acct-balance
            spendable         750
            held               40
            overage headroom    0
            low balance       no
            as of             2025-07-01T09:30:00Z

            """,
            result.Stdout);
        Assert.True(sidecar.Recorder.Single<GetBalanceRequest>("GetBalance", r => r.AccountId == "acct-balance").Request.Consistent);
    }

    [Fact]
    public async Task Global_options_may_come_before_the_command()
    {
        var result = await Quotactl.RunAsync("--json", "--target", sidecar.TcpTarget, "balance", "acct-json-first");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal("acct-json-first", GetBalanceResponse.Parser.ParseJson(result.Stdout).AccountId);
    }

    [Fact]
    public async Task A_call_past_its_deadline_is_DEADLINE_EXCEEDED()
    {
        var result = await Quotactl.RunAsync("balance", "slow-balance", "--timeout", "200ms", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.RpcError, result.ToString());
        Assert.StartsWith("error: DEADLINE_EXCEEDED", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QUOTA_TARGET_is_used_when_no_target_is_given()
    {
        var environment = new Dictionary<string, string> { ["QUOTA_TARGET"] = sidecar.SocketTarget };

        var result = await Quotactl.RunAsync(environment, "balance", "acct-env-target");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        sidecar.Recorder.Single<GetBalanceRequest>("GetBalance", r => r.AccountId == "acct-env-target");
    }
}
