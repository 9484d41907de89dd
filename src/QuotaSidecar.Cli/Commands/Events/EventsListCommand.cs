using System.CommandLine;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Events;

/// <summary><c>quotactl events list [--account ID] [--after CURSOR] [--limit N] [--failed]</c>: retained events, or the
/// failed webhook deliveries.</summary>
internal sealed class EventsListCommand : RpcCommand
{
    private readonly Option<string?> _account = new("--account") { Description = "Only this account's events", HelpName = "id" };
    private readonly Option<string?> _after = new("--after")
    {
        Description = "Start after this cursor (the 'next' of the previous page) (default: the oldest kept)",
        HelpName = "cursor",
    };
    private readonly Option<int?> _limit = IntegerSyntax.Int32Option("--limit", "Events per page (default: 100)", minimum: 1);
    private readonly Option<bool> _failed = new("--failed") { Description = "List the events whose webhook ran out of attempts instead" };

    public EventsListCommand(GlobalOptions globals)
        : base("list", "List balance events, oldest first (or, with --failed, the failed webhook deliveries)", globals)
    {
        Options.Add(_account);
        Options.Add(_after);
        Options.Add(_limit);
        Options.Add(_failed);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var line = run.ParseResult;
        if (line.GetValue(_failed))
        {
            var failed = await run.Connection.Admin.ListFailedDeliveriesAsync(
                new ListFailedDeliveriesRequest { Limit = line.GetValue(_limit) ?? 0 }, run.Connection.AdminCall(cancellationToken));
            run.Print(failed, writer => WriteFailed(writer, failed));
            return ExitCodes.Success;
        }

        var request = new ListEventsRequest
        {
            AccountId = line.GetValue(_account) ?? "",
            After = line.GetValue(_after) ?? "",
            Limit = line.GetValue(_limit) ?? 0,
        };
        var page = await run.Connection.Admin.ListEventsAsync(request, run.Connection.AdminCall(cancellationToken));
        run.Print(page, writer => Write(writer, page));
        return ExitCodes.Success;
    }

    private static void Write(TextWriter writer, ListEventsResponse page)
    {
        if (page.Events.Count == 0)
        {
            writer.WriteLine("no events");
        }
        else
        {
            var table = EventView.NewTable();
            foreach (var e in page.Events)
            {
                EventView.AddRow(table, e);
            }

            table.Write(writer);
        }

        if (page.Next.Length > 0)
        {
            writer.WriteLine();
            writer.WriteLine($"more: --after {page.Next}");
        }
    }

    private static void WriteFailed(TextWriter writer, ListFailedDeliveriesResponse failed)
    {
        if (failed.Deliveries.Count == 0)
        {
            writer.WriteLine("no failed deliveries");
            return;
        }

        var table = new Table(
            new TableColumn("EVENT"), new TableColumn("TYPE"), new TableColumn("ATTEMPTS", AlignRight: true), new TableColumn("LAST ERROR"), new TableColumn("FAILED AT"));
        foreach (var f in failed.Deliveries)
        {
            table.AddRow(f.Event.EventId, f.Event.Type, ValueText.Number(f.Attempts), f.LastError, ValueText.Time(f.FailedAt));
        }

        table.Write(writer);
        writer.WriteLine();
        writer.WriteLine("send one again: quotactl events redeliver EVENT");
    }
}
