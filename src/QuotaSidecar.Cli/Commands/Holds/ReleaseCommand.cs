using System.CommandLine;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Holds;

/// <summary><c>quotactl release RESERVATION_ID</c>: cancel a hold.</summary>
internal sealed class ReleaseCommand : RpcCommand
{
    private readonly Argument<string> _reservationId = new("reservation-id") { Description = "The hold to cancel" };

    public ReleaseCommand(GlobalOptions globals)
        : base("release", "Cancel a hold; everything goes back (repeating it is harmless)", globals)
    {
        Arguments.Add(_reservationId);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var request = new ReleaseRequest { ReservationId = run.ParseResult.GetRequiredValue(_reservationId) };
        var response = await run.Connection.Quota.ReleaseAsync(request, run.Connection.HotPathCall(cancellationToken));
        run.Print(response, writer => new KeyValueBlock()
            .AddNumber("released", response.Released)
            .AddNumber("balance hint", response.BalanceHint)
            .Write(writer));
        return ExitCodes.Success;
    }
}
