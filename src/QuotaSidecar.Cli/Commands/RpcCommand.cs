using System.CommandLine;
using Grpc.Core;
using QuotaSidecar.Cli.Connection;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands;

/// <summary>
/// A command that makes calls to the sidecar. The base owns what every such command does the same way: resolve
/// the connection, open and close the channel, and turn a gRPC error into one line on stderr and exit code 1.
/// </summary>
internal abstract class RpcCommand : Command
{
    private readonly GlobalOptions _globals;

    protected RpcCommand(string name, string description, GlobalOptions globals)
        : base(name, description)
    {
        _globals = globals;
        SetAction(InvokeAsync);
    }

    /// <summary>Makes the calls and prints the result; returns the exit code.</summary>
    protected abstract Task<int> RunAsync(CommandRun run, CancellationToken cancellationToken);

    private static string? Hint(StatusCode code, ConnectionSettings settings) => code switch
    {
        StatusCode.Unauthenticated when settings.Token is null =>
            $"no token was sent: pass --token or set {GlobalOptions.TokenVariable}",
        StatusCode.Unavailable when settings.Target.SocketPath is { } path && !File.Exists(path) =>
            $"there is no socket at {path}: is the sidecar running? pass --target or set {GlobalOptions.TargetVariable}",
        StatusCode.Unavailable =>
            $"is the sidecar listening on {settings.Target}? pass --target or set {GlobalOptions.TargetVariable}",
        _ => null,
    };

    private async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var error = parseResult.InvocationConfiguration.Error;
        if (!_globals.TryResolve(parseResult, out var settings, out var problem))
        {
            await error.WriteLineAsync("error: " + problem);
            return ExitCodes.UsageError;
        }

        using var connection = new QuotaConnection(settings, _globals.Environment.Time);
        try
        {
            var run = new CommandRun(parseResult, connection, parseResult.InvocationConfiguration.Output, error, _globals.Environment.Time);
            return await RunAsync(run, cancellationToken);
        }
        catch (RpcException exception)
        {
            await error.WriteLineAsync(RpcErrorLine.Format(exception, Hint(exception.StatusCode, settings)));
            return ExitCodes.RpcError;
        }
    }
}
