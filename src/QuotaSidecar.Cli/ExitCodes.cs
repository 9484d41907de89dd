namespace QuotaSidecar.Cli;

/// <summary>
/// quotactl's process exit codes. Scripts branch on them, so they are part of the CLI's contract (README.md).
/// </summary>
internal static class ExitCodes
{
    /// <summary>The call succeeded (for reserve and consume: the credits were granted).</summary>
    public const int Success = 0;

    /// <summary>The sidecar answered with a gRPC error, or could not be reached.</summary>
    public const int RpcError = 1;

    /// <summary>Bad or missing arguments: nothing was sent.</summary>
    public const int UsageError = 2;

    /// <summary>
    /// A reserve or consume was not granted (DENIED, or a decision this build does not know): a normal answer, but
    /// one a script must not treat as success.
    /// </summary>
    public const int Denied = 3;
}
