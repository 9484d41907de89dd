using System.Diagnostics;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Envoy;
using QuotaSidecar.Hosting;
using QuotaSidecar.Metrics;

namespace QuotaSidecar.Grpc;

/// <summary>
/// Shadow mode (Quota:Shadow for every account, Quota:ShadowAccounts for some; docs/design.md#shadow): the engine
/// decides as always, and a denial of a shadowed account is answered GRANTED with the reason it would have had,
/// charging nothing. Each is counted by reason (<c>quota_shadow_denials_total</c>) and logged, at most one line a
/// second with the number left out, so a team can see what enforcement would refuse before switching it on. Live:
/// the accounts come from the current <see cref="LiveSettings"/>, replaced when the settings file is reloaded.
/// </summary>
internal sealed class ShadowMode
{
    /// <summary>The header the Envoy APIs add to a request let through in shadow mode: the reason it would have been denied.</summary>
    public const string Header = "x-quota-shadow-denied";

    private static readonly long LogEvery = Stopwatch.Frequency; // one line a second at most
    private readonly SettingsReload _settings;
    private readonly HostMetrics _metrics;
    private readonly ILogger<ShadowMode> _logger;
    private long _nextLog;
    private long _unlogged;

    public ShadowMode(SettingsReload settings, HostMetrics metrics, ILogger<ShadowMode> logger)
    {
        _settings = settings;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>No account is in shadow mode: the one check on the hot path (one read of the live settings).</summary>
    public bool IsOff => _settings.Current.ShadowOff;

    /// <summary>True when <paramref name="accountId"/>'s denial for <paramref name="reason"/> is to be answered GRANTED;
    /// then it has been counted and (rate-limited) logged. <paramref name="api"/> names the API for the log.</summary>
    public bool Overrides(string accountId, DenyReason reason, long amount, string api)
    {
        var live = _settings.Current; // once: a reload between two reads must not mix two settings
        if (live.ShadowOff || !live.IsShadowed(accountId))
        {
            return false;
        }

        _metrics.ShadowDenied(reason);
        var now = Stopwatch.GetTimestamp();
        var next = Volatile.Read(ref _nextLog);
        if (now >= next && Interlocked.CompareExchange(ref _nextLog, now + LogEvery, next) == next)
        {
            HostLog.ShadowDenied(_logger, api, accountId, amount, DenialReasons.Of(reason), Interlocked.Exchange(ref _unlogged, 0));
        }
        else
        {
            Interlocked.Increment(ref _unlogged);
        }

        return true;
    }
}
