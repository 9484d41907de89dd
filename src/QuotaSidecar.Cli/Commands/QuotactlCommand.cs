using System.CommandLine;
using QuotaSidecar.Cli.Commands.Accounts;
using QuotaSidecar.Cli.Commands.Events;
using QuotaSidecar.Cli.Commands.Grants;
using QuotaSidecar.Cli.Commands.Holds;
using QuotaSidecar.Cli.Commands.Ledger;
using QuotaSidecar.Cli.Connection;

namespace QuotaSidecar.Cli.Commands;

/// <summary>The command tree of quotactl. Built per run: it is cheap, and a test's environment stays its own.</summary>
internal static class QuotactlCommand
{
    public static RootCommand Create(CliEnvironment environment)
    {
        var globals = new GlobalOptions(environment);
        var root = new RootCommand(
            "quotactl: operate a quota sidecar: accounts, grants, the ledger, and holds for testing.\n"
            + "Exit codes: 0 ok, 1 gRPC error, 2 usage error, 3 denied (reserve, consume).")
        {
            // The executable's own name would be "testhost" when tests run the CLI in-process.
            HelpName = "quotactl",
        };
        globals.AddTo(root);

        root.Subcommands.Add(new Command("account", "Create, change and inspect accounts (admin)")
        {
            new AccountUpsertCommand(globals),
            new AccountGetCommand(globals),
            new AccountTreeCommand(globals),
        });
        root.Subcommands.Add(new Command("grant", "Add, void and list an account's grants (admin)")
        {
            new GrantAddCommand(globals),
            new GrantVoidCommand(globals),
            new GrantListCommand(globals),
        });
        root.Subcommands.Add(new LedgerCommand(globals));
        root.Subcommands.Add(new Command("events", "Balance events and their webhooks: list, tail, redeliver (admin)")
        {
            new EventsListCommand(globals),
            new EventsTailCommand(globals),
            new EventsRedeliverCommand(globals),
        });
        root.Subcommands.Add(new ReserveCommand(globals));
        root.Subcommands.Add(new CommitCommand(globals));
        root.Subcommands.Add(new ReleaseCommand(globals));
        root.Subcommands.Add(new ConsumeCommand(globals));
        root.Subcommands.Add(new BalanceCommand(globals));
        return root;
    }
}
