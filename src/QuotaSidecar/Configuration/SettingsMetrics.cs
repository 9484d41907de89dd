using System.Diagnostics.Metrics;
using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Configuration;

/// <summary>The live settings file's instruments: reloads by result, and whether a change waits for a restart.</summary>
internal sealed class SettingsMetrics
{
    private static readonly KeyValuePair<string, object?> AppliedTag = new("result", "applied");
    private static readonly KeyValuePair<string, object?> RejectedTag = new("result", "rejected");
    private readonly Counter<long> _reloads;
    private volatile int _restartPending;

    public SettingsMetrics(EngineMetrics engineMetrics)
    {
        ArgumentNullException.ThrowIfNull(engineMetrics);
        _reloads = engineMetrics.Meter.CreateCounter<long>(
            "quota.settings.reloads", "{reload}", "New texts of the live settings file (Quota:SettingsFile): applied, or rejected (invalid; the previous settings stay).");
        engineMetrics.Meter.CreateObservableGauge(
            "quota.settings.restart_pending", () => _restartPending, "", "1 while a setting in the live settings file differs from the value the sidecar runs with and needs a restart to apply.");
    }

    public void Applied() => _reloads.Add(1, AppliedTag);

    public void Rejected() => _reloads.Add(1, RejectedTag);

    public void RestartPending(bool pending) => _restartPending = pending ? 1 : 0;
}
