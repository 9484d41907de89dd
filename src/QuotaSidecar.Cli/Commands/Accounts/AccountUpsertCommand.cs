using System.CommandLine;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;

namespace QuotaSidecar.Cli.Commands.Accounts;

/// <summary>
/// <c>quotactl account upsert ID [settings]</c>. The request replaces all of an account's settings, so an option
/// left out is sent as its documented default (active, hard, 0, 0, no unit), never as the proto's "unspecified":
/// what the command does must not depend on how a sidecar reads zero values. Help warns that settings are reset.
/// The parent is the exception: left out, it is kept (the contract's unset <c>parent_id</c>), because moving an account
/// in its tree by accident would change which budgets it charges; <c>--no-parent</c> (or <c>--parent ""</c>) makes it a
/// root (docs/design.md#account-tree).
/// </summary>
internal sealed class AccountUpsertCommand : RpcCommand
{
    private readonly Argument<string> _accountId = new("id") { Description = "The account id: 1-128 characters of [A-Za-z0-9._:-]" };
    private readonly Option<AccountStatus?> _status =
        EnumVocabulary<AccountStatus>.Instance.Option("--status", "Whether the account may spend (default: active)");
    private readonly Option<OverageMode?> _overageMode =
        EnumVocabulary<OverageMode>.Instance.Option(
            "--overage-mode",
            "hard: no credits, no service; soft: allow debt up to --overage-limit; track: never refuse, record all usage (a tree node that only counts) (default: hard)");
    private readonly Option<long?> _overageLimit =
        IntegerSyntax.Option("--overage-limit", "Credits of debt allowed in soft mode (default: 0)");
    private readonly Option<long?> _lowBalanceThreshold =
        IntegerSyntax.Option("--low-balance-threshold", "Flag answers as low_balance at or below this balance (default: 0)");
    private readonly Option<string?> _unit = new("--unit")
    {
        Description = "Display name of the credit unit, e.g. api_call (default: none)",
        HelpName = "name",
    };

    private readonly Option<string?> _parent = new("--parent")
    {
        Description = "The account's parent in its tree: its usage is charged to the parent and its ancestors too (left out: kept as it is; \"\": none)",
        HelpName = "id",
    };
    private readonly Option<bool> _noParent = new("--no-parent") { Description = "Make the account a root (no parent)" };

    public AccountUpsertCommand(GlobalOptions globals)
        : base(
            "upsert",
            "Create an account or replace its settings. Settings left out are reset to their defaults, not kept; grants and balance are kept",
            globals)
    {
        Arguments.Add(_accountId);
        Options.Add(_status);
        Options.Add(_overageMode);
        Options.Add(_overageLimit);
        Options.Add(_lowBalanceThreshold);
        Options.Add(_unit);
        Options.Add(_parent);
        Options.Add(_noParent);
        Validators.Add(result =>
        {
            if (result.GetResult(_parent) is not null && result.GetValue(_noParent))
            {
                result.AddError("--parent and --no-parent contradict each other: give one");
            }
        });
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var line = run.ParseResult;
        var request = new UpsertAccountRequest
        {
            AccountId = line.GetRequiredValue(_accountId),
            Status = line.GetValue(_status) ?? AccountStatus.Active,
            OverageMode = line.GetValue(_overageMode) ?? OverageMode.Hard,
            OverageLimit = line.GetValue(_overageLimit) ?? 0,
            LowBalanceThreshold = line.GetValue(_lowBalanceThreshold) ?? 0,
            Unit = line.GetValue(_unit) ?? string.Empty,
        };
        if (line.GetValue(_noParent))
        {
            request.ParentId = "";
        }
        else if (line.GetResult(_parent) is not null)
        {
            request.ParentId = line.GetValue(_parent) ?? "";
        }

        var account = await run.Connection.Admin.UpsertAccountAsync(request, run.Connection.AdminCall(cancellationToken));
        run.Print(account, writer => AccountView.Write(writer, account));
        return ExitCodes.Success;
    }
}
