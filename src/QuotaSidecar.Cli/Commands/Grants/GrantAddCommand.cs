using System.CommandLine;
using Google.Protobuf.WellKnownTypes;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;

namespace QuotaSidecar.Cli.Commands.Grants;

/// <summary><c>quotactl grant add ACCOUNT AMOUNT [options]</c>: add credits.</summary>
internal sealed class GrantAddCommand : RpcCommand
{
    private readonly Argument<string> _accountId = new("account") { Description = "The account to credit" };
    private readonly Argument<long> _amount = IntegerSyntax.Argument("amount", "Credits to add, in the account's smallest unit");
    private readonly Option<string?> _grantId = new("--id")
    {
        Description = "The grant id, also the idempotency key: repeat a failed command with the same --id to be sure the credits are added once (default: a new GUID)",
        HelpName = "grant-id",
    };
    private readonly Option<int?> _priority =
        IntegerSyntax.Int32Option("--priority", "1-100, lower burns first (default: 50)");
    private readonly Option<GrantCategory?> _category =
        EnumVocabulary<GrantCategory>.Instance.Option("--category", "What the credits are (default: paid)");
    private readonly Option<Timestamp?> _effectiveAt =
        TimestampSyntax.Option("--effective-at", "When the credits become spendable; UTC unless an offset is given (default: now)");
    private readonly Option<Timestamp?> _expiresAt =
        TimestampSyntax.Option("--expires-at", "When the unused remainder expires; UTC unless an offset is given (default: never)");
    private readonly Option<RecurrencePeriod?> _recurrence =
        EnumVocabulary<RecurrencePeriod>.Instance.Option("--recurrence", "Renew the amount every period, anchored at --effective-at; hourly and minute make a spend-rate cap (default: a one-off grant)");
    private readonly Option<long?> _rolloverMax =
        IntegerSyntax.Option("--rollover-max", "With --recurrence: unused credits carried into the next period, at most this many (default: 0)");
    private readonly Option<Dictionary<string, string>> _metadata =
        KeyValueSyntax.Option("--meta", "Metadata kept with the grant, e.g. --meta invoice=INV-7 source=stripe");

    public GrantAddCommand(GlobalOptions globals)
        : base("add", "Add credits to an account: a purchase, top-up, promotion or recurring allowance", globals)
    {
        Arguments.Add(_accountId);
        Arguments.Add(_amount);
        Options.Add(_grantId);
        Options.Add(_priority);
        Options.Add(_category);
        Options.Add(_effectiveAt);
        Options.Add(_expiresAt);
        Options.Add(_recurrence);
        Options.Add(_rolloverMax);
        Options.Add(_metadata);
        Validators.Add(result =>
        {
            // A rollover without a period would be silently dropped: say so instead.
            if (result.GetResult(_rolloverMax) is not null && result.GetResult(_recurrence) is null)
            {
                result.AddError($"--rollover-max needs --recurrence {EnumVocabulary<RecurrencePeriod>.Instance.HelpName}");
            }
        });
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var line = run.ParseResult;
        var request = new GrantCreditsRequest
        {
            AccountId = line.GetRequiredValue(_accountId),
            GrantId = line.GetValue(_grantId) is { Length: > 0 } id ? id : Guid.NewGuid().ToString(),
            Amount = line.GetValue(_amount),
            Priority = line.GetValue(_priority) ?? 0,
            Category = line.GetValue(_category) ?? GrantCategory.Paid,
            EffectiveAt = line.GetValue(_effectiveAt),
            ExpiresAt = line.GetValue(_expiresAt),
        };
        if (line.GetValue(_recurrence) is { } period)
        {
            request.Recurrence = new Recurrence { Period = period, RolloverMax = line.GetValue(_rolloverMax) ?? 0 };
        }

        request.Metadata.Add(line.GetValue(_metadata) ?? []);
        var grant = await run.Connection.Admin.GrantCreditsAsync(request, run.Connection.AdminCall(cancellationToken));
        run.Print(grant, writer => GrantView.Write(writer, grant));
        return ExitCodes.Success;
    }
}
