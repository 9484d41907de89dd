namespace QuotaSidecar.Cli.Connection;

/// <summary>
/// What quotactl reads from outside its arguments: environment variables and the clock. Passed in, so tests run
/// the real entry point in parallel without touching the process environment.
/// </summary>
internal sealed class CliEnvironment(Func<string, string?> getVariable, TimeProvider time)
{
    public TimeProvider Time { get; } = time;

    public static CliEnvironment FromProcess() => new(Environment.GetEnvironmentVariable, TimeProvider.System);

    /// <summary>The variable's value, or null when it is unset or empty (an empty token is no token).</summary>
    public string? Variable(string name) => getVariable(name) is { Length: > 0 } value ? value : null;
}
