using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Ledger;

/// <summary><c>quotactl ledger ACCOUNT --usage</c> or <c>--label k=v ...</c>: the account's usage per label set
/// (GetUsage), only the sets that have every label given.</summary>
internal static class LedgerUsage
{
    public static async Task<int> RunAsync(CommandRun run, string accountId, Dictionary<string, string> labels, bool paged, CancellationToken cancellationToken)
    {
        if (paged)
        {
            await run.Error.WriteLineAsync("error: --usage and --label show usage per label set; --after, --limit and --all page ledger entries and do not combine with them");
            return ExitCodes.UsageError;
        }

        var request = new GetUsageRequest { AccountId = accountId };
        request.Labels.Add(labels);
        var response = await run.Connection.Admin.GetUsageAsync(request, run.Connection.AdminCall(cancellationToken));
        run.Print(response, writer => Write(writer, response, labels.Count > 0));
        return ExitCodes.Success;
    }

    private static void Write(TextWriter writer, GetUsageResponse response, bool filtered)
    {
        if (response.Usage.Count == 0)
        {
            writer.WriteLine(filtered ? "no usage with these labels" : "no labelled usage");
            return;
        }

        var table = new Table(new TableColumn("LABELS"), new TableColumn("USED", AlignRight: true));
        foreach (var usage in response.Usage)
        {
            table.AddRow(ValueText.Map(usage.Labels) + (usage.Overflow ? " (label sets beyond the cap)" : ""), ValueText.Number(usage.Amount));
        }

        table.AddRow("total", ValueText.Number(response.Total));
        table.Write(writer);
    }
}
