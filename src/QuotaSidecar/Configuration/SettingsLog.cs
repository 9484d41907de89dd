namespace QuotaSidecar.Configuration;

/// <summary>What the live settings file does, logged.</summary>
internal static partial class SettingsLog
{
    [LoggerMessage(400, LogLevel.Information, "Live settings file {File}, read every {Interval}: log levels, Quota:AllowedAccounts, Quota:Shadow, Quota:ShadowAccounts and Quota:Envoy (except Enabled) apply without a restart")]
    public static partial void Watching(ILogger logger, string file, TimeSpan interval);

    [LoggerMessage(401, LogLevel.Information, "Settings reloaded from {File}: {Changes}")]
    public static partial void Applied(ILogger logger, string file, string changes);

    [LoggerMessage(402, LogLevel.Error, "Settings file {File} rejected, the previous settings stay in force: {Errors}")]
    public static partial void Rejected(ILogger logger, string file, string errors);

    [LoggerMessage(403, LogLevel.Warning, "{Setting} changed in {File}; needs a restart to take effect")]
    public static partial void NeedsRestart(ILogger logger, string setting, string file);

    [LoggerMessage(404, LogLevel.Information, "{Setting} in {File} is back to the value the sidecar runs with; no restart needed for it")]
    public static partial void BackToRunning(ILogger logger, string setting, string file);
}
