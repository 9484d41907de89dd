using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Events;

/// <summary>The text layout of balance events: one table row each.</summary>
internal static class EventView
{
    public static Table NewTable() => new(
        new TableColumn("CURSOR"),
        new TableColumn("AT"),
        new TableColumn("EVENT"),
        new TableColumn("TYPE"),
        new TableColumn("BALANCE", AlignRight: true),
        new TableColumn("LINE", AlignRight: true),
        new TableColumn("DETAIL"));

    public static void AddRow(Table table, BalanceEvent e) => table.AddRow(
        e.Cursor,
        ValueText.Time(e.At),
        e.EventId,
        e.Type,
        ValueText.Number(e.Balance),
        ValueText.Number(e.Threshold),
        Detail(e));

    /// <summary>One line per event, for <c>events tail</c>, which prints as events come.</summary>
    public static string Line(BalanceEvent e) =>
        string.Join("  ", new[] { e.Cursor, ValueText.Time(e.At), e.EventId, e.Type, "balance " + ValueText.Number(e.Balance), Detail(e) }
            .Where(s => s.Length > 0 && s != "-"));

    private static string Detail(BalanceEvent e) => e.Type switch
    {
        "recharge.requested" => $"recharge {e.RechargeId} amount {ValueText.Number(e.Amount)}",
        "grant.expiring" => $"grant {e.GrantId} left {ValueText.Number(e.Amount)}",
        "grant.expired" => $"grant {e.GrantId} unused {ValueText.Number(e.Amount)}",
        "overage.started" or "overage.limit_reached" => $"debt {ValueText.Number(e.Amount)}",
        _ => "-",
    };
}
