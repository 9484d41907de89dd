using System.CommandLine;
using QuotaSidecar.Api.V1;

namespace QuotaSidecar.Cli.Commands.Events;

/// <summary><c>quotactl events redeliver EVENT_ID</c>: send a failed webhook again (same webhook-id).</summary>
internal sealed class EventsRedeliverCommand : RpcCommand
{
    private readonly Argument<string> _eventId = new("event-id") { Description = "The failed event to send again (events list --failed)" };

    public EventsRedeliverCommand(GlobalOptions globals)
        : base("redeliver", "Send a failed event's webhook again, with a fresh count of attempts", globals)
    {
        Arguments.Add(_eventId);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var request = new RedeliverEventRequest { EventId = run.ParseResult.GetRequiredValue(_eventId) };
        var response = await run.Connection.Admin.RedeliverEventAsync(request, run.Connection.AdminCall(cancellationToken));
        run.Print(response, writer => writer.WriteLine($"event {request.EventId} queued for delivery again"));
        return ExitCodes.Success;
    }
}
