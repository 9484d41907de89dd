using System.CommandLine;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Cli.Commands.Grants;

/// <summary><c>quotactl grant list ACCOUNT [--all]</c>: an account's grants in burn-down order.</summary>
internal sealed class GrantListCommand : RpcCommand
{
    private readonly Argument<string> _accountId = new("account") { Description = "The account whose grants to list" };
    private readonly Option<bool> _all = new("--all") { Description = "Include expired, voided and not yet effective grants" };

    public GrantListCommand(GlobalOptions globals)
        : base("list", "List an account's grants, the one that pays first on top", globals)
    {
        Arguments.Add(_accountId);
        Options.Add(_all);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var includeInactive = run.ParseResult.GetValue(_all);
        var request = new ListGrantsRequest
        {
            AccountId = run.ParseResult.GetRequiredValue(_accountId),
            IncludeInactive = includeInactive,
        };
        var response = await run.Connection.Admin.ListGrantsAsync(request, run.Connection.AdminCall(cancellationToken));
        run.Print(response, writer =>
        {
            if (response.Grants.Count == 0)
            {
                writer.WriteLine(includeInactive ? "no grants" : "no active grants (--all also lists expired, voided and future ones)");
                return;
            }

            GrantView.WriteTable(writer, response.Grants, run.Time.GetUtcNow());
        });
        return ExitCodes.Success;
    }
}
