using System.Text.RegularExpressions;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Hosting;

/// <summary>The real executable on Kestrel (a free TCP port and a Unix socket), driven by the real quotactl.</summary>
public sealed partial class ExecutableTests
{
    private const string Token = "exe-test-admin-token-0123";

    [Fact]
    public async Task Quotactl_drives_the_real_sidecar_over_tcp_and_a_unix_socket()
    {
        await using var sidecar = await SidecarProcess.StartAsync(
            new Dictionary<string, string>
            {
                ["Quota__Admin__Token"] = Token,
                ["Quota__Seed__Accounts__0__AccountId"] = "exe-demo",
                ["Quota__Seed__Accounts__0__Credits"] = "1000",
            },
            unixSocket: true);
        var tcp = sidecar.TcpTarget;
        var unix = $"unix:{sidecar.UnixSocket}";

        var reserve = await Quotactl(tcp, "reserve", "exe-demo", "10", "--id", "job-1", "--ttl", "30s");
        var commit = await Quotactl(unix, "commit", "job-1", "7");
        var consume = await Quotactl(unix, "consume", "exe-demo", "5");
        var balance = await Quotactl(tcp, "--json", "balance", "exe-demo");
        var denied = await Quotactl(tcp, "consume", "exe-demo", "5000");
        var invalid = await Quotactl(tcp, "consume", "exe-demo", "0");
        var unauthenticated = await Quotactl(tcp, "--token", "wrong-token-wrong-token", "account", "get", "exe-demo");
        var account = await Quotactl(tcp, "--token", Token, "account", "get", "exe-demo");

        Assert.True(reserve.ExitCode == 0, reserve.ToString());
        Assert.Contains("GRANTED", reserve.Stdout, StringComparison.Ordinal);
        Assert.True(commit.ExitCode == 0, commit.ToString());
        Assert.True(consume.ExitCode == 0, consume.ToString());
        Assert.Contains("\"spendable\": \"988\"", balance.Stdout, StringComparison.Ordinal);
        Assert.True(denied.ExitCode == 3, denied.ToString());
        Assert.Contains("DENIED (INSUFFICIENT_CREDITS)", denied.Stdout, StringComparison.Ordinal);
        Assert.True(invalid.ExitCode == 1, invalid.ToString());
        Assert.Contains("INVALID_ARGUMENT", invalid.Stderr, StringComparison.Ordinal);
        Assert.True(unauthenticated.ExitCode == 1, unauthenticated.ToString());
        Assert.Contains("UNAUTHENTICATED", unauthenticated.Stderr, StringComparison.Ordinal);
        Assert.True(account.ExitCode == 0, account.ToString());
        Assert.Contains("granted", account.Stdout, StringComparison.Ordinal);
        Assert.Contains("serving quota.v1.Quota and quota.v1.QuotaAdmin", sidecar.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_readme_walkthrough_works_verbatim()
    {
        await using var sidecar = await SidecarProcess.StartAsync(environment: "Development");
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"));
        var token = TokenLine().Match(readme).Groups[1].Value;
        var lines = readme.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("quotactl ", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count >= 8, "the walk-through is missing from README.md");

        foreach (var line in lines)
        {
            var args = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1);
            var run = await ProcessRun.DotnetAsync(
                Repository.QuotactlDll, args,
                new Dictionary<string, string> { ["QUOTA_TARGET"] = sidecar.TcpTarget, ["QUOTA_ADMIN_TOKEN"] = token });
            Assert.True(run.ExitCode == 0, $"{line}\n{run}");
        }
    }

    [Fact]
    public async Task Sigterm_releases_holds_settles_and_exits_within_the_grace_period()
    {
        await using var sidecar = await SidecarProcess.StartAsync(new Dictionary<string, string>
        {
            ["Quota__Seed__Accounts__0__AccountId"] = "exe-term",
            ["Quota__Seed__Accounts__0__Credits"] = "1000",
            ["Quota__Shutdown__GracePeriod"] = "00:00:03",
        });
        var reserve = await Quotactl(sidecar.TcpTarget, "reserve", "exe-term", "10");
        Assert.True(reserve.ExitCode == 0, reserve.ToString());

        sidecar.Terminate();

        Assert.True(await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(8)), "the sidecar did not exit within the grace period\n" + sidecar.Output);
        Assert.Equal(0, sidecar.ExitCode);
        Assert.Contains("Shutdown: released 1 open holds, returned leases of 1 accounts, 0 could not be settled", sidecar.Output, StringComparison.Ordinal);
    }

    private static Task<ProcessRun> Quotactl(string target, params string[] args) =>
        ProcessRun.DotnetAsync(Repository.QuotactlDll, ["--target", target, .. args]);

    [GeneratedRegex("admin token is\\s+`([^`]+)`")]
    private static partial Regex TokenLine();
}
