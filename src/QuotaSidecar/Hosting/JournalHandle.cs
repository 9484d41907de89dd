using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Journal;

namespace QuotaSidecar.Hosting;

/// <summary>
/// This process's usage journal, if one is configured (<c>Quota:Journal:Path</c>) and the store is Redis. Opened
/// once, at start: a directory that cannot be made, written or locked stops the start with a message naming the
/// setting. Disposed after the shutdown drain (the container disposes it after the engine), which deletes the
/// segments when everything was acknowledged.
/// </summary>
internal sealed class JournalHandle : IDisposable
{
    public JournalHandle(IOptions<QuotaOptions> options, TimeProvider time, EngineMetrics metrics, ILoggerFactory loggers)
    {
        var o = options.Value;
        var settings = o.UsageJournalOptions;
        if (!settings.Enabled)
        {
            return;
        }

        if (o.Store != StoreKind.Redis)
        {
            HostLog.JournalIgnored(loggers.CreateLogger<JournalHandle>(), settings.Directory!);
            return;
        }

        Metrics = new JournalMetrics(metrics.Meter);
        try
        {
            Journal = UsageJournal.Open(settings, o.EngineOptions.InstanceId, time, Metrics, loggers.CreateLogger<UsageJournal>());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new StartupException($"Quota:Journal:Path '{settings.Directory}' cannot be used: {e.Message.TrimEnd('.')}. Fix the volume or its permissions, or unset Quota:Journal:Path to run without a journal", e);
        }
    }

    /// <summary>The journal, or null when there is none.</summary>
    public UsageJournal? Journal { get; }

    /// <summary>Its instruments (null without a journal).</summary>
    public JournalMetrics? Metrics { get; }

    public void Dispose() => Journal?.Dispose();
}
