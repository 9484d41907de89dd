using System.CommandLine;
using Google.Protobuf.WellKnownTypes;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Holds;

/// <summary><c>quotactl reserve ACCOUNT AMOUNT</c>: hold credits, as an app would before doing work.</summary>
internal sealed class ReserveCommand : RpcCommand
{
    private readonly Argument<string> _accountId = new("account") { Description = "The account to hold credits on" };
    private readonly Argument<long> _amount = IntegerSyntax.Argument("amount", "Credits to hold");
    private readonly Option<string?> _reservationId = new("--id")
    {
        Description = "The reservation id, also the idempotency key (default: the sidecar makes one)",
        HelpName = "reservation-id",
    };
    private readonly Option<TimeSpan?> _ttl =
        DurationSyntax.Option("--ttl", "Release the hold automatically after this long (default: the sidecar's, 60s unless configured)");
    private readonly Option<Dictionary<string, string>> _labels =
        KeyValueSyntax.Option("--label", "Attribution carried to the usage records, e.g. --label operation=chat caller=cli");

    public ReserveCommand(GlobalOptions globals)
        : base("reserve", "Hold credits; then commit or release the hold. Exit code 3 when denied", globals)
    {
        Arguments.Add(_accountId);
        Arguments.Add(_amount);
        Options.Add(_reservationId);
        Options.Add(_ttl);
        Options.Add(_labels);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var line = run.ParseResult;
        var request = new ReserveRequest
        {
            AccountId = line.GetRequiredValue(_accountId),
            Amount = line.GetValue(_amount),
            ReservationId = line.GetValue(_reservationId) ?? string.Empty,
            Ttl = line.GetValue(_ttl) is { } ttl ? Duration.FromTimeSpan(ttl) : null,
        };
        request.Labels.Add(line.GetValue(_labels) ?? []);
        var response = await run.Connection.Quota.ReserveAsync(request, run.Connection.HotPathCall(cancellationToken));
        run.Print(response, writer => Write(writer, response));
        return DecisionText.ExitCode(response.Decision);
    }

    private static void Write(TextWriter writer, ReserveResponse response)
    {
        writer.WriteLine(DecisionText.Format(response.Decision, response.DenyReason, response.ShadowDenied, response.ShadowReason));
        var block = new KeyValueBlock();
        if (response.ReservationId.Length > 0)
        {
            block.Add("reservation", response.ReservationId);
        }

        if (response.DeniedAccountId.Length > 0)
        {
            block.Add("denied by", response.DeniedAccountId); // the account itself, or an ancestor in its tree
        }

        if (response.Decision == Decision.Granted)
        {
            block.Add("amount", ValueText.Number(response.Amount))
                .Add("expires", ValueText.Time(response.ExpiresAt));
        }

        block.Add("balance hint", ValueText.Number(response.BalanceHint))
            .Add("low balance", ValueText.Flag(response.LowBalance))
            .Add("overage", ValueText.Flag(response.Overage))
            .Write(writer);
    }
}
