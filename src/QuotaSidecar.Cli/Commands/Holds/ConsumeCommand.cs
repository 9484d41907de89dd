using System.CommandLine;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Holds;

/// <summary><c>quotactl consume ACCOUNT AMOUNT</c>: reserve and commit in one call.</summary>
internal sealed class ConsumeCommand : RpcCommand
{
    private readonly Argument<string> _accountId = new("account") { Description = "The account to charge" };
    private readonly Argument<long> _amount = IntegerSyntax.Argument("amount", "Credits to spend");
    private readonly Option<string?> _requestId = new("--request-id")
    {
        Description = "Idempotency key: a repeated consume with the same id is charged once (default: none)",
        HelpName = "id",
    };
    private readonly Option<Dictionary<string, string>> _labels =
        KeyValueSyntax.Option("--label", "Attribution carried to the usage record");

    public ConsumeCommand(GlobalOptions globals)
        : base("consume", "Spend credits in one call (reserve + commit). Exit code 3 when denied", globals)
    {
        Arguments.Add(_accountId);
        Arguments.Add(_amount);
        Options.Add(_requestId);
        Options.Add(_labels);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var line = run.ParseResult;
        var request = new ConsumeRequest
        {
            AccountId = line.GetRequiredValue(_accountId),
            Amount = line.GetValue(_amount),
            RequestId = line.GetValue(_requestId) ?? string.Empty,
        };
        request.Labels.Add(line.GetValue(_labels) ?? []);
        var response = await run.Connection.Quota.ConsumeAsync(request, run.Connection.HotPathCall(cancellationToken));
        run.Print(response, writer =>
        {
            writer.WriteLine(DecisionText.Format(response.Decision, response.DenyReason, response.ShadowDenied, response.ShadowReason));
            var block = new KeyValueBlock();
            if (response.DeniedAccountId.Length > 0)
            {
                block.Add("denied by", response.DeniedAccountId); // the account itself, or an ancestor in its tree
            }

            block.Add("balance hint", ValueText.Number(response.BalanceHint))
                .Add("low balance", ValueText.Flag(response.LowBalance))
                .Add("overage", ValueText.Flag(response.Overage))
                .Write(writer);
        });
        return DecisionText.ExitCode(response.Decision);
    }
}
