namespace QuotaSidecar.Tests.Hosting;

/// <summary>The account tree with the real executable and the real quotactl (docs/design.md#account-tree): seeded
/// parents, <c>account upsert --parent</c>, <c>account get</c> and <c>account tree</c>.</summary>
public sealed partial class ExecutableTests
{
    [Fact]
    public async Task Quotactl_account_tree_prints_the_subtree_with_each_account_s_mode_and_balance()
    {
        await using var sidecar = await SidecarProcess.StartAsync(
            new Dictionary<string, string>
            {
                ["Quota__Admin__Token"] = Token,
                ["Quota__Seed__Accounts__0__AccountId"] = "org",
                ["Quota__Seed__Accounts__0__OverageMode"] = "Track",
                ["Quota__Seed__Accounts__1__AccountId"] = "team",
                ["Quota__Seed__Accounts__1__ParentId"] = "org",
                ["Quota__Seed__Accounts__1__Credits"] = "1000",
                ["Quota__Seed__Accounts__2__AccountId"] = "user",
                ["Quota__Seed__Accounts__2__ParentId"] = "team",
            });
        var tcp = sidecar.TcpTarget;

        var upsert = await Quotactl(tcp, "--token", Token, "account", "upsert", "svc", "--parent", "team", "--overage-mode", "soft", "--overage-limit", "50");
        var grant = await Quotactl(tcp, "--token", Token, "grant", "add", "svc", "70");
        var get = await Quotactl(tcp, "--token", Token, "account", "get", "svc");
        var tree = await Quotactl(tcp, "--token", Token, "account", "tree", "org");
        var subtree = await Quotactl(tcp, "--token", Token, "account", "tree", "team");
        var json = await Quotactl(tcp, "--token", Token, "--json", "account", "tree", "team");
        var fourthLevel = await Quotactl(tcp, "--token", Token, "account", "upsert", "deep", "--parent", "user");
        var deeper = await Quotactl(tcp, "--token", Token, "account", "upsert", "leaf", "--parent", "svc");
        var tooDeepLeaf = await Quotactl(tcp, "--token", Token, "account", "upsert", "leaf2", "--parent", "leaf");

        Assert.True(upsert.ExitCode == 0 && grant.ExitCode == 0 && get.ExitCode == 0, $"{upsert}\n{grant}\n{get}");
        Assert.Matches(@"(?m)^parent\s+team$", get.Stdout);
        Assert.True(tree.ExitCode == 0, tree.ToString());
        var lines = tree.Stdout.TrimEnd().Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.Matches(@"^ACCOUNT\s+MODE\s+STATUS\s+AVAILABLE\s+LEASED\s+CONSUMED\s+OVERAGE$", lines[0]);
        Assert.Matches(@"^org\s+track\s+active\s+0\s+0\s+0\s+0$", lines[1]);
        Assert.Matches(@"^  team\s+hard\s+active\s+1000\s+0\s+0\s+0$", lines[2]);
        Assert.Matches(@"^    svc\s+soft\s+active\s+70\s+0\s+0\s+0$", lines[3]);
        Assert.Matches(@"^    user\s+hard\s+active\s+0\s+0\s+0\s+0$", lines[4]);
        Assert.Equal(4, subtree.Stdout.TrimEnd().Split('\n').Length);
        Assert.Matches(@"(?m)^team\s+hard", subtree.Stdout);
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Contains("\"parentId\": \"team\"", json.Stdout, StringComparison.Ordinal);
        Assert.True(fourthLevel.ExitCode == 0, fourthLevel.ToString()); // deep: level 4
        Assert.True(deeper.ExitCode == 0, deeper.ToString());
        Assert.True(tooDeepLeaf.ExitCode == 1, tooDeepLeaf.ToString());
        Assert.Contains("INVALID_ARGUMENT", tooDeepLeaf.Stderr, StringComparison.Ordinal);
        Assert.Contains("at level 5", tooDeepLeaf.Stderr, StringComparison.Ordinal);
    }
}
