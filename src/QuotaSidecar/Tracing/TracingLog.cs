namespace QuotaSidecar.Tracing;

internal static partial class TracingLog
{
    [LoggerMessage(900, LogLevel.Information, "Tracing on: OTLP export to {Endpoint} ({Protocol}), sampler {Sampler}; background exchanges {Background}")]
    public static partial void On(ILogger logger, string endpoint, string protocol, string sampler, string background);

    [LoggerMessage(901, LogLevel.Debug, "Tracing off: {Why}")]
    public static partial void Off(ILogger logger, string why);
}
