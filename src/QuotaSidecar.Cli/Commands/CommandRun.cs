using System.CommandLine;
using Google.Protobuf;
using QuotaSidecar.Cli.Connection;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands;

/// <summary>One invocation of an <see cref="RpcCommand"/>: its parsed line, its connection and where output goes.</summary>
internal sealed class CommandRun(ParseResult parseResult, QuotaConnection connection, TextWriter output, TextWriter error, TimeProvider time)
{
    public ParseResult ParseResult { get; } = parseResult;

    public QuotaConnection Connection { get; } = connection;

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public TimeProvider Time { get; } = time;

    /// <summary>Prints <paramref name="message"/> as JSON under <c>--json</c>, else as <paramref name="writeText"/> writes it.</summary>
    public void Print(IMessage message, Action<TextWriter> writeText)
    {
        ArgumentNullException.ThrowIfNull(writeText);
        if (Connection.Settings.Json)
        {
            JsonOutput.Write(Output, message);
        }
        else
        {
            writeText(Output);
        }
    }
}
