using System.CommandLine;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Ledger;

/// <summary><c>quotactl ledger ACCOUNT [--after CURSOR] [--limit N] [--all]</c>: the account's ledger, oldest first;
/// with <c>--usage</c> or <c>--label k=v</c>, its usage per label set instead (<see cref="LedgerUsage"/>).</summary>
internal sealed class LedgerCommand : RpcCommand
{
    private readonly Argument<string> _accountId = new("account") { Description = "The account whose ledger to read" };
    private readonly Option<string?> _after = new("--after")
    {
        Description = "Start after this entry id (the 'next' cursor of the previous page) (default: the oldest kept)",
        HelpName = "cursor",
    };
    private readonly Option<int?> _limit =
        IntegerSyntax.Int32Option("--limit", "Entries per page (default: the sidecar's page size)", minimum: 1);
    private readonly Option<bool> _all = new("--all")
    {
        Description = "Follow the next cursor through every page and print them as one (each page has its own --timeout)",
    };

    private readonly Option<Dictionary<string, string>> _labels =
        KeyValueSyntax.Option("--label", "Show usage per label set, only the sets with this label (repeatable: all must match)");
    private readonly Option<bool> _usage = new("--usage")
    {
        Description = "Show usage per label set (running totals since the account began) instead of ledger entries",
    };

    public LedgerCommand(GlobalOptions globals)
        : base("ledger", "List an account's ledger entries: grants, usage, expiries, voids, renewals, overage", globals)
    {
        Arguments.Add(_accountId);
        Options.Add(_after);
        Options.Add(_limit);
        Options.Add(_all);
        Options.Add(_labels);
        Options.Add(_usage);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var line = run.ParseResult;
        var accountId = line.GetRequiredValue(_accountId);
        var limit = line.GetValue(_limit) ?? 0;
        var followAll = line.GetValue(_all);
        var after = line.GetValue(_after) ?? string.Empty;
        if (line.GetValue(_labels) is { Count: > 0 } || line.GetValue(_usage))
        {
            return await LedgerUsage.RunAsync(run, accountId, line.GetValue(_labels) ?? [], paged: line.GetValue(_after) is not null || limit > 0 || followAll, cancellationToken);
        }

        // With --all the pages are merged into one response, so --json output has the same shape either way.
        var merged = new ListLedgerEntriesResponse();
        var seenCursors = new HashSet<string>(StringComparer.Ordinal) { after };
        while (true)
        {
            var request = new ListLedgerEntriesRequest { AccountId = accountId, After = after, Limit = limit };
            var page = await run.Connection.Admin.ListLedgerEntriesAsync(request, run.Connection.AdminCall(cancellationToken));
            merged.Entries.Add(page.Entries);
            merged.Next = page.Next;
            if (!followAll || page.Next.Length == 0)
            {
                break;
            }

            // A sidecar that hands back a cursor it gave before would keep --all paging forever.
            if (!seenCursors.Add(page.Next))
            {
                await run.Error.WriteLineAsync($"error: the sidecar returned the cursor '{page.Next}' a second time; stopped after {merged.Entries.Count} entries");
                return ExitCodes.RpcError;
            }

            after = page.Next;
        }

        run.Print(merged, writer => Write(writer, merged));
        return ExitCodes.Success;
    }

    private static void Write(TextWriter writer, ListLedgerEntriesResponse response)
    {
        if (response.Entries.Count == 0)
        {
            writer.WriteLine("no ledger entries");
        }
        else
        {
            var table = new Table(
                new TableColumn("ENTRY"),
                new TableColumn("AT"),
                new TableColumn("KIND"),
                new TableColumn("AMOUNT", AlignRight: true),
                new TableColumn("GRANT"),
                new TableColumn("SOURCE"),
                new TableColumn("LABELS"));
            foreach (var entry in response.Entries)
            {
                table.AddRow(
                    entry.EntryId,
                    ValueText.Time(entry.At),
                    EnumVocabulary<LedgerEntryKind>.Instance.Display(entry.Kind),
                    ValueText.Number(entry.Amount),
                    ValueText.Text(entry.GrantId),
                    ValueText.Text(entry.Source),
                    ValueText.Map(entry.Labels));
            }

            table.Write(writer);
        }

        if (response.Next.Length > 0)
        {
            writer.WriteLine();
            writer.WriteLine($"more entries: --after {response.Next} (or --all)");
        }
    }
}
