using System.CommandLine;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Cli.Commands.Grants;

/// <summary><c>quotactl grant void ACCOUNT GRANT_ID</c>: withdraw a grant's unused remainder.</summary>
internal sealed class GrantVoidCommand : RpcCommand
{
    private readonly Argument<string> _accountId = new("account") { Description = "The account the grant belongs to" };
    private readonly Argument<string> _grantId = new("grant-id") { Description = "The grant to void" };

    public GrantVoidCommand(GlobalOptions globals)
        : base("void", "Withdraw the unused remainder of a grant (repeating it is harmless)", globals)
    {
        Arguments.Add(_accountId);
        Arguments.Add(_grantId);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var request = new VoidGrantRequest
        {
            AccountId = run.ParseResult.GetRequiredValue(_accountId),
            GrantId = run.ParseResult.GetRequiredValue(_grantId),
        };
        var grant = await run.Connection.Admin.VoidGrantAsync(request, run.Connection.AdminCall(cancellationToken));
        run.Print(grant, writer => GrantView.Write(writer, grant));
        return ExitCodes.Success;
    }
}
