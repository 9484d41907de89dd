using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Cli.Tests.EndToEnd;

/// <summary>account, grant and ledger commands against a real gRPC server that demands a bearer token.</summary>
[Collection(FakeSidecarCollection.Name)]
public sealed class AdminCommandsEndToEndTests(FakeSidecar sidecar)
{
    private const string Bearer = "Bearer " + FakeQuotaAdminService.Token;

    [Fact]
    public async Task Token_from_the_option_arrives_as_bearer_metadata()
    {
        var result = await Admin("account", "get", "acct-token-option");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(Bearer, sidecar.Recorder.Single<GetAccountRequest>("GetAccount", r => r.AccountId == "acct-token-option").Authorization);
    }

    [Fact]
    public async Task Token_from_QUOTA_ADMIN_TOKEN_arrives_over_a_unix_socket()
    {
        var environment = new Dictionary<string, string> { ["QUOTA_ADMIN_TOKEN"] = FakeQuotaAdminService.Token };

        var result = await Quotactl.RunAsync(environment, "account", "get", "acct-token-env", "--target", sidecar.SocketTarget);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(Bearer, sidecar.Recorder.Single<GetAccountRequest>("GetAccount", r => r.AccountId == "acct-token-env").Authorization);
    }

    [Fact]
    public async Task Without_a_token_the_error_says_how_to_pass_one()
    {
        var result = await Quotactl.RunAsync("account", "get", "acct-no-token", "--target", sidecar.TcpTarget);

        Assert.True(result.ExitCode == ExitCodes.RpcError, result.ToString());
        Assert.Equal(
            "error: UNAUTHENTICATED: missing or invalid bearer token (no token was sent: pass --token or set QUOTA_ADMIN_TOKEN)",
            result.Stderr.TrimEnd());
        Assert.Null(sidecar.Recorder.Single<GetAccountRequest>("GetAccount", r => r.AccountId == "acct-no-token").Authorization);
    }

    [Fact]
    public async Task Account_get_prints_settings_and_the_balance_statement()
    {
        var result = await Admin("account", "get", "acme");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(
            """
            account                acme
            parent                 org
            status                 active
            overage mode           soft
            overage limit          5000
            low-balance threshold  100
            unit                   api_call

            balance
              available   7000
              leased       500
              consumed    2000
              expired      300
              voided       200
              overage        0
              granted    10000

            """,
            result.Stdout);
    }

    [Fact]
    public async Task Account_get_of_an_unknown_account_is_NOT_FOUND()
    {
        var result = await Admin("account", "get", "ghost");

        Assert.Equal(ExitCodes.RpcError, result.ExitCode);
        Assert.Equal("error: NOT_FOUND: account 'ghost' not found; create it with UpsertAccount first", result.Stderr.TrimEnd());
    }

    [Fact]
    public async Task Account_upsert_sends_every_setting()
    {
        var result = await Admin(
            "account", "upsert", "acct-upsert", "--status", "suspended", "--overage-mode", "soft",
            "--overage-limit", "250", "--low-balance-threshold", "20", "--unit", "gpu_second");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var (request, _) = sidecar.Recorder.Single<UpsertAccountRequest>("UpsertAccount", r => r.AccountId == "acct-upsert");
        Assert.Equal(AccountStatus.Suspended, request.Status);
        Assert.Equal(OverageMode.Soft, request.OverageMode);
        Assert.Equal(250, request.OverageLimit);
        Assert.Equal(20, request.LowBalanceThreshold);
        Assert.Equal("gpu_second", request.Unit);
        Assert.Contains("status                 suspended", result.Lines);
    }

    [Fact]
    public async Task Account_upsert_sends_documented_defaults_not_unspecified()
    {
        var result = await Admin("account", "upsert", "acct-upsert-defaults");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var (request, _) = sidecar.Recorder.Single<UpsertAccountRequest>("UpsertAccount", r => r.AccountId == "acct-upsert-defaults");
        Assert.Equal(AccountStatus.Active, request.Status);
        Assert.Equal(OverageMode.Hard, request.OverageMode);
        Assert.Equal(0, request.OverageLimit);
        Assert.Empty(request.Unit);
    }

    [Theory]
    [InlineData("acct-parent-set", "org", "--parent", "org")]
    [InlineData("acct-parent-none", "", "--no-parent")]
    [InlineData("acct-parent-empty", "", "--parent", "")]
    [InlineData("acct-parent-kept", null)]
    public async Task Account_upsert_sends_the_parent_only_when_given(string account, string? parent, params string[] options)
    {
        var result = await Admin(["account", "upsert", account, "--overage-mode", "track", .. options]);

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var (request, _) = sidecar.Recorder.Single<UpsertAccountRequest>("UpsertAccount", r => r.AccountId == account);
        Assert.Equal(OverageMode.Track, request.OverageMode);
        Assert.Equal(parent is not null, request.HasParentId);
        Assert.Equal(parent ?? "", request.ParentId);
    }

    [Fact]
    public async Task Account_upsert_refuses_a_parent_and_no_parent_together()
    {
        var result = await Admin("account", "upsert", "acct-parent-both", "--parent", "org", "--no-parent");

        Assert.True(result.ExitCode == ExitCodes.UsageError, result.ToString());
        Assert.Contains("--parent and --no-parent contradict each other", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grant_add_sends_every_field()
    {
        var result = await Admin(
            "grant", "add", "acct-grant", "10000", "--id", "grant-e2e-1", "--priority", "20", "--category", "promotional",
            "--effective-at", "2025-07-01", "--expires-at", "2025-08-01T12:00:00+02:00",
            "--recurrence", "monthly", "--rollover-max", "2000", "--meta", "invoice=INV-7", "source=stripe");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var (request, authorization) = sidecar.Recorder.Single<GrantCreditsRequest>("GrantCredits", r => r.GrantId == "grant-e2e-1");
        Assert.Equal(Bearer, authorization);
        Assert.Equal("acct-grant", request.AccountId);
        Assert.Equal(10000, request.Amount);
        Assert.Equal(20, request.Priority);
        Assert.Equal(GrantCategory.Promotional, request.Category);
        Assert.Equal(new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero), request.EffectiveAt.ToDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2025, 8, 1, 10, 0, 0, TimeSpan.Zero), request.ExpiresAt.ToDateTimeOffset());
        Assert.Equal(RecurrencePeriod.Monthly, request.Recurrence.Period);
        Assert.Equal(2000, request.Recurrence.RolloverMax);
        Assert.Equal(new Dictionary<string, string> { ["invoice"] = "INV-7", ["source"] = "stripe" }, request.Metadata);
        Assert.Equal(
            """
            grant       grant-e2e-1
            account     acct-grant
            amount      10000
            remaining   10000
            priority    20
            category    promotional
            effective   2025-07-01T00:00:00Z
            expires     2025-08-01T10:00:00Z
            recurrence  monthly, rollover max 2000
            created     2025-07-01T09:30:00Z
            metadata    invoice=INV-7, source=stripe

            """,
            result.Stdout);
    }

    [Theory]
    [InlineData("minute", RecurrencePeriod.Minute)]
    [InlineData("hourly", RecurrencePeriod.Hourly)]
    public async Task Grant_add_sends_a_rate_cap_period_and_shows_it(string word, RecurrencePeriod period)
    {
        var result = await Admin("grant", "add", "acct-cap", "200", "--id", $"cap-{word}", "--recurrence", word, "--effective-at", "2025-07-01T09:30:00Z");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var (request, _) = sidecar.Recorder.Single<GrantCreditsRequest>("GrantCredits", r => r.GrantId == $"cap-{word}");
        Assert.Equal(period, request.Recurrence.Period);
        Assert.Equal(0, request.Recurrence.RolloverMax);
        Assert.Contains($"recurrence  {word}, rollover max 0", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grant_add_without_id_makes_a_new_guid_and_a_paid_one_off_grant()
    {
        var result = await Admin("grant", "add", "acct-grant-defaults", "500");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var (request, _) = sidecar.Recorder.Single<GrantCreditsRequest>("GrantCredits", r => r.AccountId == "acct-grant-defaults");
        Assert.True(Guid.TryParse(request.GrantId, out _), request.GrantId);
        Assert.Equal(GrantCategory.Paid, request.Category);
        Assert.Equal(0, request.Priority);
        Assert.Null(request.EffectiveAt);
        Assert.Null(request.ExpiresAt);
        Assert.Null(request.Recurrence);
        Assert.Contains($"grant       {request.GrantId}", result.Lines);
        Assert.Contains("expires     never", result.Lines);
    }

    [Fact]
    public async Task Grant_void_prints_the_voided_grant()
    {
        var result = await Admin("grant", "void", "acct-void", "grant-to-void");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Contains("voided      2025-07-01T09:30:00Z", result.Lines);
        Assert.Contains("remaining   0", result.Lines);
        sidecar.Recorder.Single<VoidGrantRequest>("VoidGrant", r => r.AccountId == "acct-void" && r.GrantId == "grant-to-void");
    }

    [Fact]
    public async Task Grant_list_prints_a_table_in_burn_down_order()
    {
        var result = await Admin("grant", "list", "acct-list");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(
            """
            GRANT    STATE   CATEGORY     PRIORITY  AMOUNT  REMAINING  EFFECTIVE             EXPIRES               RECURRENCE
            promo-1  active  promotional        10     500        120  2025-07-01T09:30:00Z  2999-01-01T00:00:00Z  none
            monthly  active  paid               50   10000       9000  2025-07-01T09:30:00Z  never                 monthly, rollover max 2000

            """,
            result.Stdout);
        Assert.False(sidecar.Recorder.Single<ListGrantsRequest>("ListGrants", r => r.AccountId == "acct-list").Request.IncludeInactive);
    }

    [Fact]
    public async Task Grant_list_all_asks_for_inactive_grants_and_marks_them()
    {
        var result = await Admin("grant", "list", "acct-list-all", "--all");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.StartsWith("old      voided", result.Lines[^1], StringComparison.Ordinal);
        Assert.True(sidecar.Recorder.Single<ListGrantsRequest>("ListGrants", r => r.AccountId == "acct-list-all").Request.IncludeInactive);
    }

    [Fact]
    public async Task Ledger_prints_one_page_and_the_next_cursor()
    {
        var result = await Admin("ledger", "acct-ledger", "--limit", "2");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(
            """
            ENTRY  AT                    KIND      AMOUNT  GRANT  SOURCE     LABELS
            e1     2025-07-01T09:30:00Z  granted     1000  g-1    -          -
            e2     2025-07-01T09:30:00Z  consumed      42  -      pod-a/7f3  operation=chat

            more entries: --after e2 (or --all)

            """,
            result.Stdout);
        Assert.Equal(2, sidecar.Recorder.Single<ListLedgerEntriesRequest>("ListLedgerEntries", r => r.AccountId == "acct-ledger").Request.Limit);
    }

    [Fact]
    public async Task Ledger_after_passes_the_cursor()
    {
        var result = await Admin("ledger", "acct-ledger-after", "--after", "e2");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        Assert.Equal(2, result.Lines.Count);
        Assert.StartsWith("e3", result.Lines[1], StringComparison.Ordinal);
        Assert.Contains("overage_paid", result.Lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ledger_all_follows_the_cursor_and_prints_every_page_as_one_json_response()
    {
        var result = await Admin("ledger", "acct-ledger-all", "--all", "--json");

        Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
        var response = ListLedgerEntriesResponse.Parser.ParseJson(result.Stdout);
        Assert.Equal(["e1", "e2", "e3"], response.Entries.Select(entry => entry.EntryId));
        Assert.Empty(response.Next);
        var pages = sidecar.Recorder.Calls<ListLedgerEntriesRequest>("ListLedgerEntries", r => r.AccountId == "acct-ledger-all");
        Assert.Equal(["", "e2"], pages.Select(page => page.Request.After));
        Assert.All(pages, page => Assert.Equal(Bearer, page.Authorization));
    }

    [Fact]
    public async Task Ledger_all_stops_when_the_sidecar_repeats_a_cursor()
    {
        var result = await Admin("ledger", "loop", "--all");

        Assert.True(result.ExitCode == ExitCodes.RpcError, result.ToString());
        Assert.Equal("error: the sidecar returned the cursor 'e1' a second time; stopped after 2 entries", result.Stderr.TrimEnd());
        Assert.Empty(result.Stdout);
    }

    private Task<CliResult> Admin(params string[] args) =>
        Quotactl.RunAsync([.. args, "--target", sidecar.TcpTarget, "--token", FakeQuotaAdminService.Token]);
}
