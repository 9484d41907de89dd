using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Grants;

/// <summary>Grants as text: one grant as labelled lines, several as a table.</summary>
internal static class GrantView
{
    public static void Write(TextWriter writer, Grant grant)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(grant);
        var block = new KeyValueBlock()
            .Add("grant", grant.GrantId)
            .Add("account", grant.AccountId)
            .Add("amount", ValueText.Number(grant.Amount))
            .Add("remaining", ValueText.Number(grant.Remaining))
            .Add("priority", ValueText.Number(grant.Priority))
            .Add("category", EnumVocabulary<GrantCategory>.Instance.Display(grant.Category))
            .Add("effective", ValueText.Time(grant.EffectiveAt))
            .Add("expires", ValueText.Time(grant.ExpiresAt, whenAbsent: "never"))
            .Add("recurrence", Recurrence(grant.Recurrence));
        if (grant.VoidedAt is not null)
        {
            block.Add("voided", ValueText.Time(grant.VoidedAt));
        }

        block
            .Add("created", ValueText.Time(grant.CreatedAt))
            .Add("metadata", ValueText.Map(grant.Metadata))
            .Write(writer);
    }

    /// <summary>
    /// The grants in the order the sidecar listed them (burn-down order, the one that pays first on top), with a
    /// state column so <c>--all</c> output shows at a glance which ones can still pay.
    /// </summary>
    public static void WriteTable(TextWriter writer, IEnumerable<Grant> grants, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(grants);
        var table = new Table(
            new TableColumn("GRANT"),
            new TableColumn("STATE"),
            new TableColumn("CATEGORY"),
            new TableColumn("PRIORITY", AlignRight: true),
            new TableColumn("AMOUNT", AlignRight: true),
            new TableColumn("REMAINING", AlignRight: true),
            new TableColumn("EFFECTIVE"),
            new TableColumn("EXPIRES"),
            new TableColumn("RECURRENCE"));
        foreach (var grant in grants)
        {
            table.AddRow(
                grant.GrantId,
                State(grant, now),
                EnumVocabulary<GrantCategory>.Instance.Display(grant.Category),
                ValueText.Number(grant.Priority),
                ValueText.Number(grant.Amount),
                ValueText.Number(grant.Remaining),
                ValueText.Time(grant.EffectiveAt),
                ValueText.Time(grant.ExpiresAt, whenAbsent: "never"),
                Recurrence(grant.Recurrence));
        }

        table.Write(writer);
    }

    /// <summary>voided, expired, pending (not yet effective) or active, judged at <paramref name="now"/>.</summary>
    public static string State(Grant grant, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(grant);
        if (grant.VoidedAt is not null)
        {
            return "voided";
        }

        if (grant.ExpiresAt is { } expires && expires.ToDateTimeOffset() <= now)
        {
            return "expired";
        }

        return grant.EffectiveAt is { } effective && effective.ToDateTimeOffset() > now ? "pending" : "active";
    }

    private static string Recurrence(Recurrence? recurrence) =>
        recurrence is null || recurrence.Period == RecurrencePeriod.Unspecified
            ? "none"
            : $"{EnumVocabulary<RecurrencePeriod>.Instance.Display(recurrence.Period)}, rollover max {ValueText.Number(recurrence.RolloverMax)}";
}
