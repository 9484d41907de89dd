using System.CommandLine;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Cli.Commands.Accounts;

/// <summary><c>quotactl account get ID</c>: an account's settings and central balance.</summary>
internal sealed class AccountGetCommand : RpcCommand
{
    private readonly Argument<string> _accountId = new("id") { Description = "The account id" };

    public AccountGetCommand(GlobalOptions globals)
        : base("get", "Show an account's settings and its central balance", globals)
    {
        Arguments.Add(_accountId);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var request = new GetAccountRequest { AccountId = run.ParseResult.GetRequiredValue(_accountId) };
        var account = await run.Connection.Admin.GetAccountAsync(request, run.Connection.AdminCall(cancellationToken));
        run.Print(account, writer => AccountView.Write(writer, account));
        return ExitCodes.Success;
    }
}
