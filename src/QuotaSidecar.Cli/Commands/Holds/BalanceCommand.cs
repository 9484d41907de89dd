using System.CommandLine;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Holds;

/// <summary><c>quotactl balance ACCOUNT [--consistent]</c>: what this sidecar would let the account spend.</summary>
internal sealed class BalanceCommand : RpcCommand
{
    private readonly Argument<string> _accountId = new("account") { Description = "The account" };
    private readonly Option<bool> _consistent = new("--consistent")
    {
        Description = "Read the central store now instead of the sidecar's cached view",
    };

    public BalanceCommand(GlobalOptions globals)
        : base("balance", "Show this sidecar's view of an account's spendable balance", globals)
    {
        Arguments.Add(_accountId);
        Options.Add(_consistent);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var request = new GetBalanceRequest
        {
            AccountId = run.ParseResult.GetRequiredValue(_accountId),
            Consistent = run.ParseResult.GetValue(_consistent),
        };
        var response = await run.Connection.Quota.GetBalanceAsync(request, run.Connection.HotPathCall(cancellationToken));
        run.Print(response, writer => new KeyValueBlock()
            .Add("account", response.AccountId)
            .AddNumber("spendable", response.Spendable)
            .AddNumber("held", response.Held)
            .AddNumber("overage headroom", response.OverageHeadroom)
            .Add("low balance", ValueText.Flag(response.LowBalance))
            .Add("as of", ValueText.Time(response.AsOf))
            .Write(writer));
        return ExitCodes.Success;
    }
}
