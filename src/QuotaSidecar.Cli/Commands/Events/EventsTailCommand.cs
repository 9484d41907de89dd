using System.CommandLine;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Events;

/// <summary><c>quotactl events tail [--cursor CURSOR]</c>: print events as they happen until interrupted.</summary>
internal sealed class EventsTailCommand : RpcCommand
{
    private readonly Option<string?> _cursor = new("--cursor")
    {
        Description = "Start after this cursor (resume where an earlier tail stopped) (default: the oldest kept)",
        HelpName = "cursor",
    };

    public EventsTailCommand(GlobalOptions globals)
        : base("tail", "Print balance events as they happen (WatchEvents) until Ctrl+C; --timeout does not apply", globals)
    {
        Options.Add(_cursor);
    }

    protected override async Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken)
    {
        var request = new WatchEventsRequest { Cursor = run.ParseResult.GetValue(_cursor) ?? "" };
        // The admin headers without the deadline: a tail runs until stopped.
        var call = new CallOptions(run.Connection.AdminCall(cancellationToken).Headers, cancellationToken: cancellationToken);
        using var stream = run.Connection.Admin.WatchEvents(request, call);
        try
        {
            while (await stream.ResponseStream.MoveNext(cancellationToken))
            {
                var e = stream.ResponseStream.Current;
                if (run.Connection.Settings.Json)
                {
                    JsonOutput.Write(run.Output, e);
                }
                else
                {
                    await run.Output.WriteLineAsync(EventView.Line(e));
                }

                await run.Output.FlushAsync(cancellationToken);
            }
        }
        catch (RpcException x) when (x.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: the end of a tail, not an error.
        }

        return ExitCodes.Success;
    }
}
