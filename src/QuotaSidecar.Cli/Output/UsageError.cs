using System.CommandLine;
using System.CommandLine.Invocation;

namespace QuotaSidecar.Cli.Output;

/// <summary>
/// A command line that did not parse: <c>error: ...</c> lines, typo suggestions and the command's usage, all on
/// stderr so that stdout carries only results. Exit code 2, not System.CommandLine's 1, which quotactl keeps
/// for gRPC errors.
/// </summary>
internal static class UsageError
{
    public static int Write(ParseResult parseResult, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(error);
        foreach (var parseError in parseResult.Errors)
        {
            error.WriteLine("error: " + parseError.Message);
        }

        error.WriteLine();

        // The library's error action renders typo suggestions and the command's help; it would also write the
        // error lines, unprefixed, so its error writer goes nowhere and ours are above.
        if (parseResult.Action is ParseErrorAction action)
        {
            action.ShowHelp = true;
            action.ShowTypoCorrections = true;
            parseResult.Invoke(new InvocationConfiguration { Output = error, Error = TextWriter.Null });
        }

        return ExitCodes.UsageError;
    }
}
