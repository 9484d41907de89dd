using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using QuotaSidecar.Cli.Arguments;
using QuotaSidecar.Cli.Connection;

namespace QuotaSidecar.Cli.Commands;

/// <summary>
/// The options every command takes, anywhere on the line (<c>quotactl balance acme --json</c>). Defaults and
/// environment variables are applied after parsing rather than as option defaults, so help never prints the
/// token taken from the environment.
/// </summary>
internal sealed class GlobalOptions
{
    public const string TargetVariable = "QUOTA_TARGET";
    public const string TokenVariable = "QUOTA_ADMIN_TOKEN";
    public const string DefaultTarget = "http://127.0.0.1:7070";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public GlobalOptions(CliEnvironment environment)
    {
        Environment = environment;
        Target = new Option<Target?>("--target")
        {
            Description = $"The sidecar: {Connection.Target.Syntax} (default: ${TargetVariable}, else {DefaultTarget})",
            HelpName = "address",
            Recursive = true,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
                if (Connection.Target.TryParse(text, out var target, out var error))
                {
                    return target;
                }

                result.AddError("--target " + error);
                return null;
            },
        };
        Token = new Option<string?>("--token")
        {
            Description = $"Bearer token for account, grant and ledger commands (default: ${TokenVariable})",
            HelpName = "token",
            Recursive = true,
        };
        Json = new Option<bool>("--json")
        {
            Description = "Print the response as protobuf JSON, for scripts",
            Recursive = true,
        };
        Timeout = DurationSyntax.Option("--timeout", $"Deadline of each call, e.g. {DurationSyntax.Examples} (default: 10s)");
        Timeout.Recursive = true;
    }

    public CliEnvironment Environment { get; }

    public Option<Target?> Target { get; }

    public Option<string?> Token { get; }

    public Option<bool> Json { get; }

    public Option<TimeSpan?> Timeout { get; }

    public void AddTo(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Options.Add(Target);
        root.Options.Add(Token);
        root.Options.Add(Timeout);
        root.Options.Add(Json);
    }

    /// <summary>
    /// Applies the environment and defaults. Fails only on a malformed <c>QUOTA_TARGET</c>: a bad <c>--target</c>
    /// is already a parse error.
    /// </summary>
    public bool TryResolve(
        ParseResult parseResult,
        [NotNullWhen(true)] out ConnectionSettings? settings,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        settings = null;
        var target = parseResult.GetValue(Target);
        if (target is null)
        {
            var text = Environment.Variable(TargetVariable) ?? DefaultTarget;
            if (!Connection.Target.TryParse(text, out target, out var targetError))
            {
                error = $"{TargetVariable} {targetError}";
                return false;
            }
        }

        var token = parseResult.GetValue(Token) is { Length: > 0 } given ? given : Environment.Variable(TokenVariable);
        settings = new ConnectionSettings(target, token, parseResult.GetValue(Timeout) ?? DefaultTimeout, parseResult.GetValue(Json));
        error = null;
        return true;
    }
}
