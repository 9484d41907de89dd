namespace QuotaSidecar.Cli.Tests;

/// <summary>
/// The entry point without a sidecar: command lines that must not reach one (exit 2, the problem and the usage on
/// stderr, nothing on stdout), help, and a target nobody listens on.
/// </summary>
public sealed class ProgramTests
{
    [Fact]
    public async Task No_command_prints_the_top_level_usage()
    {
        var result = await Quotactl.RunAsync();

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.StartsWith("error: Required command was not provided.", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("quotactl [command] [options]", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task A_missing_argument_names_it_and_shows_the_command_usage()
    {
        var result = await Quotactl.RunAsync("reserve", "acme");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.StartsWith("error: Required argument 'amount' missing for command: 'reserve'.", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("quotactl reserve <account> <amount> [options]", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task A_mistyped_command_suggests_the_right_one()
    {
        var result = await Quotactl.RunAsync("grnat", "list", "acme");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("error: Unrecognized command or argument 'grnat'.", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("'grnat' was not matched. Did you mean one of the following?", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("error: --ttl must be a duration such as 500ms, 30s, 2m or 1h (got '30')", "reserve", "acme", "5", "--ttl", "30")]
    [InlineData("error: --timeout must be longer than 0 (got '0s')", "balance", "acme", "--timeout", "0s")]
    [InlineData("error: --label must be key=value (got 'chat')", "reserve", "acme", "5", "--label", "chat")]
    [InlineData("error: --meta has key 'a' more than once", "grant", "add", "acme", "5", "--meta", "a=1", "--meta", "a=2")]
    [InlineData("error: --status must be one of active, suspended (got 'paused')", "account", "upsert", "acme", "--status", "paused")]
    [InlineData("error: --category must be one of paid, promotional (got 'free')", "grant", "add", "acme", "5", "--category", "free")]
    [InlineData("error: --recurrence must be one of daily, weekly, monthly, hourly, minute (got 'yearly')", "grant", "add", "acme", "5", "--recurrence", "yearly")]
    [InlineData("error: --rollover-max needs --recurrence daily|weekly|monthly|hourly|minute", "grant", "add", "acme", "5", "--rollover-max", "10")]
    [InlineData("error: --expires-at must be an ISO 8601 date or time such as 2025-07-01 or 2025-07-01T09:30:00Z (got 'soon')", "grant", "add", "acme", "5", "--expires-at", "soon")]
    [InlineData("error: amount must be a whole number (got 'ten')", "consume", "acme", "ten")]
    [InlineData("error: --priority must be a whole number (got 'high')", "grant", "add", "acme", "5", "--priority", "high")]
    [InlineData("error: --limit must be between 1 and 2147483647 (got 0)", "ledger", "acme", "--limit", "0")]
    [InlineData("error: --overage-limit must be a whole number (got '1e3')", "account", "upsert", "acme", "--overage-limit", "1e3")]
    [InlineData("error: --target must be http://host:port, https://host:port or unix:/path/to.sock (got 'ftp://x')", "balance", "acme", "--target", "ftp://x")]
    public async Task A_malformed_value_says_what_was_wrong(string expectedFirstLine, params string[] args)
    {
        var result = await Quotactl.RunAsync(args);

        Assert.True(result.ExitCode == ExitCodes.UsageError, result.ToString());
        Assert.Equal(expectedFirstLine, result.Stderr.ReplaceLineEndings("\n").Split('\n')[0]);
        Assert.Contains("Usage:", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task A_malformed_QUOTA_TARGET_is_a_usage_error_naming_the_variable()
    {
        var environment = new Dictionary<string, string> { ["QUOTA_TARGET"] = "ftp://quota" };

        var result = await Quotactl.RunAsync(environment, "balance", "acme");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Equal(
            "error: QUOTA_TARGET must be http://host:port, https://host:port or unix:/path/to.sock (got 'ftp://quota')",
            result.Stderr.TrimEnd());
    }

    [Fact]
    public async Task Help_is_not_an_error_and_goes_to_stdout_under_the_quotactl_name()
    {
        var result = await Quotactl.RunAsync("grant", "add", "--help");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("quotactl grant add <account> <amount> [options]", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("--recurrence <daily|weekly|monthly|hourly|minute>", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task Help_does_not_print_the_token_from_the_environment()
    {
        var environment = new Dictionary<string, string> { ["QUOTA_ADMIN_TOKEN"] = "top-secret-value" };

        var result = await Quotactl.RunAsync(environment, "account", "get", "--help");

        Assert.Contains("--token <token>", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("top-secret-value", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_sidecar_is_an_rpc_error_with_a_hint()
    {
        var socket = Path.Combine(Path.GetTempPath(), $"quotactl-absent-{Guid.NewGuid():N}.sock");

        var result = await Quotactl.RunAsync("balance", "acme", "--target", "unix:" + socket);

        Assert.Equal(ExitCodes.RpcError, result.ExitCode);
        Assert.StartsWith("error: UNAVAILABLE: ", result.Stderr, StringComparison.Ordinal);
        Assert.EndsWith(
            $"(there is no socket at {socket}: is the sidecar running? pass --target or set QUOTA_TARGET)",
            result.Stderr.TrimEnd(),
            StringComparison.Ordinal);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
    }
}
