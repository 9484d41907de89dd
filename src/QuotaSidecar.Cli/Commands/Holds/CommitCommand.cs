using System.CommandLine;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Holds;

/// <summary><c>quotactl commit RESERVATION_ID AMOUNT</c>: charge the actual usage of a hold.</summary>
internal sealed class CommitCommand : RpcCommand
{
    private readonly Argument<string> _reservationId = new("reservation-id") { Description = "The hold to charge" };
    private readonly Argument<long> _amount =
        IntegerSyntax.Argument("amount", "Actual usage, >= 0: less than the hold gives the rest back, more draws the excess from credits, then overage");
    private readonly Option<Dictionary<string, string>> _labels =
        KeyValueSyntax.Option("--label", "Attribution added to the usage record");

    public CommitCommand(GlobalOptions globals)
        : base("commit", "Charge the actual usage of a hold; the unused part goes back (repeating it is harmless)", globals)
    {
        Arguments.Add(_reservationId);
        Arguments.Add(_amount);
        Options.Add(_labels);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var request = new CommitRequest
        {
            ReservationId = run.ParseResult.GetRequiredValue(_reservationId),
            Amount = run.ParseResult.GetValue(_amount),
        };
        request.Labels.Add(run.ParseResult.GetValue(_labels) ?? []);
        var response = await run.Connection.Quota.CommitAsync(request, run.Connection.HotPathCall(cancellationToken));
        run.Print(response, writer => new KeyValueBlock()
            .AddNumber("committed", response.Committed)
            .AddNumber("released", response.Released)
            .AddNumber("overage", response.Overage)
            .AddNumber("balance hint", response.BalanceHint)
            .Write(writer));
        return ExitCodes.Success;
    }
}
