using System.CommandLine;
using Google.Protobuf;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Accounts;

/// <summary>
/// <c>quotactl account tree ID</c>: the account and its subtree (docs/design.md#account-tree), one row per account in
/// depth-first order, children by id and indented under their parent, with each one's mode and central balance. The
/// children come from ListChildAccounts, page by page; a tree has at most 4 levels, and no more are walked.
/// </summary>
internal sealed class AccountTreeCommand : RpcCommand
{
    // AccountTree.MaxDepth in Core: the most levels a tree has, and so the most this command walks below the account.
    private const int MaxDepth = 4;
    private const int PageSize = 1000;
    private const string Indent = "  ";

    private readonly Argument<string> _accountId = new("id") { Description = "The account at the top of the subtree to show" };

    public AccountTreeCommand(GlobalOptions globals)
        : base("tree", "Show an account and the accounts under it, with each one's mode and balance", globals)
    {
        Arguments.Add(_accountId);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var rows = new List<(int Depth, Account Account)>();
        await WalkAsync(run, run.ParseResult.GetRequiredValue(_accountId), 0, rows, cancellationToken);
        if (run.Connection.Settings.Json)
        {
            // Depth-first like the table; each account's parentId says where it hangs.
            JsonOutput.WriteArray(run.Output, rows.Select(r => (IMessage)r.Account));
            return ExitCodes.Success;
        }

        var table = new Table(
            new TableColumn("ACCOUNT"),
            new TableColumn("MODE"),
            new TableColumn("STATUS"),
            new TableColumn("AVAILABLE", AlignRight: true),
            new TableColumn("LEASED", AlignRight: true),
            new TableColumn("CONSUMED", AlignRight: true),
            new TableColumn("OVERAGE", AlignRight: true));
        foreach (var (depth, account) in rows)
        {
            var balance = account.Balance ?? new Balance();
            table.AddRow(
                string.Concat(Enumerable.Repeat(Indent, depth)) + account.AccountId,
                EnumVocabulary<OverageMode>.Instance.Display(account.OverageMode),
                EnumVocabulary<AccountStatus>.Instance.Display(account.Status),
                ValueText.Number(balance.Available),
                ValueText.Number(balance.Leased),
                ValueText.Number(balance.Consumed),
                ValueText.Number(balance.Overage));
        }

        table.Write(run.Output);
        return ExitCodes.Success;
    }

    private static async Task WalkAsync(CommandRun run, string accountId, int depth, List<(int, Account)> rows, CancellationToken cancellationToken)
    {
        var admin = run.Connection.Admin;
        rows.Add((depth, await admin.GetAccountAsync(new GetAccountRequest { AccountId = accountId }, run.Connection.AdminCall(cancellationToken))));
        if (depth + 1 >= MaxDepth)
        {
            return;
        }

        var token = "";
        do
        {
            var page = await admin.ListChildAccountsAsync(
                new ListChildAccountsRequest { AccountId = accountId, PageSize = PageSize, PageToken = token },
                run.Connection.AdminCall(cancellationToken));
            foreach (var child in page.ChildIds)
            {
                await WalkAsync(run, child, depth + 1, rows, cancellationToken);
            }

            token = page.NextPageToken;
        }
        while (token.Length > 0);
    }
}
