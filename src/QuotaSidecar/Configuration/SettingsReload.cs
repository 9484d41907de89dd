using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using QuotaSidecar.Envoy;

namespace QuotaSidecar.Configuration;

/// <summary>
/// Holds the <see cref="LiveSettings"/> in force and reloads them from the live settings file (Quota:SettingsFile;
/// docs/deploy.md#live-settings). A new text of the file is bound and validated as a whole, with the same validators
/// as at start, over the other configuration sources: if anything is invalid, nothing changes (an error naming the
/// settings, <c>quota_settings_reloads_total{result="rejected"}</c>); otherwise a new snapshot replaces the old one in
/// one reference write, the changes of live settings are logged once, and each other setting whose value changed is
/// logged as needing a restart (<c>quota_settings_restart_pending</c> is 1 while any differs from the running value).
/// </summary>
internal sealed partial class SettingsReload : IHostedService, IDisposable
{
    private readonly SettingsMetrics _metrics;
    private readonly ILogger<SettingsReload> _logger;
    private readonly IConfigurationRoot? _root;
    private readonly SettingsFileProvider? _file;

    /// <summary>The effective value of each setting the file has set at some point: at start, then after each applied
    /// reload. A key not here has its running (start) value.</summary>
    private readonly Dictionary<string, string?> _effective = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string?> _running = new(StringComparer.OrdinalIgnoreCase);
    private volatile LiveSettings _current;

    public SettingsReload(IConfiguration configuration, IOptions<QuotaOptions> quota, IOptions<EnvoyOptions> envoy, SettingsMetrics metrics, ILogger<SettingsReload> logger)
    {
        ArgumentNullException.ThrowIfNull(quota);
        ArgumentNullException.ThrowIfNull(envoy);
        _current = new LiveSettings(quota.Value, envoy.Value);
        _metrics = metrics;
        _logger = logger;
        _root = configuration as IConfigurationRoot;
        _file = _root?.Providers.OfType<SettingsFileProvider>().LastOrDefault();
        if (_root is null || _file is null)
        {
            return;
        }

        foreach (var (key, value) in _root.AsEnumerable())
        {
            _running[key] = value;
        }

        foreach (var key in _file.Current.Keys)
        {
            _effective[key] = Running(key);
        }
    }

    /// <summary>The live settings in force: read once per request.</summary>
    public LiveSettings Current => _current;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_file is not null)
        {
            SettingsLog.Watching(_logger, _file.FilePath, _file.Interval);
            _file.Watch(Decide);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _file?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _file?.Dispose();

    /// <summary>Whether <paramref name="key"/> takes effect without a restart.</summary>
    internal static bool IsLive(string key) => LiveKey().IsMatch(key) && !EnvoyEnabled().IsMatch(key);

    /// <summary>Decides on a new text of the file: true when its settings are applied.</summary>
    private bool Decide(IDictionary<string, string?>? data, string? readError)
    {
        if (data is null)
        {
            return Reject([readError ?? "the file could not be read"]);
        }

        using var candidate = Candidate(data);
        QuotaOptions quota;
        EnvoyOptions envoy;
        try
        {
            quota = candidate.GetSection(QuotaOptions.Section).Get<QuotaOptions>() ?? new QuotaOptions();
            envoy = candidate.GetSection(EnvoyOptions.Section).Get<EnvoyOptions>() ?? new EnvoyOptions();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            // A value that does not convert: "Failed to convert configuration value at 'Quota:Shadow' to type ...".
            // Caught here, on the poll's timer thread, it rejects the file instead of ending the process.
            return Reject([e.Message + (e.InnerException is { } inner ? $" ({inner.Message})" : "")]);
        }

        quota.DeriveLayerSettings();
        var errors = new List<string>();
        AddFailures(errors, new QuotaOptionsValidator().Validate(null, quota));
        AddFailures(errors, new EnvoyOptionsValidator().Validate(null, envoy));
        ValidateLogLevels(errors, candidate);
        if (errors.Count > 0)
        {
            return Reject(errors);
        }

        _current = new LiveSettings(quota, envoy);
        SettingsLog.Applied(_logger, _file!.FilePath, Compare(candidate, data.Keys));
        _metrics.Applied();
        return true;
    }

    private bool Reject(IReadOnlyList<string> errors)
    {
        SettingsLog.Rejected(_logger, _file!.FilePath, string.Join("; ", errors));
        _metrics.Rejected();
        return false;
    }

    /// <summary>The configuration as it would be with <paramref name="data"/> as the file's settings.</summary>
    private ConfigurationRoot Candidate(IDictionary<string, string?> data)
    {
        var providers = new List<IConfigurationProvider>();
        foreach (var provider in _root!.Providers)
        {
            providers.Add(provider == _file
                ? new MemoryConfigurationProvider(new MemoryConfigurationSource { InitialData = data })
                : new ConfigurationProviderView(provider));
        }

        return new ConfigurationRoot(providers);
    }

    /// <summary>Logs what changed (live settings in the returned text; the others as needing a restart) and sets the
    /// restart gauge.</summary>
    private string Compare(IConfiguration candidate, IEnumerable<string> fileKeys)
    {
        foreach (var key in fileKeys)
        {
            _effective.TryAdd(key, Running(key));
        }

        var live = new StringBuilder();
        var pending = false;
        foreach (var key in _effective.Keys.Order(StringComparer.OrdinalIgnoreCase).ToList())
        {
            var before = _effective[key];
            var now = candidate[key];
            _effective[key] = now;
            if (IsLive(key))
            {
                if (before != now)
                {
                    live.Append(live.Length == 0 ? "" : ", ").Append(key).Append(' ').Append(Show(before)).Append(" -> ").Append(Show(now));
                }

                continue;
            }

            var differs = now != Running(key);
            pending |= differs;
            if (before != now)
            {
                if (differs)
                {
                    SettingsLog.NeedsRestart(_logger, key, _file!.FilePath);
                }
                else
                {
                    SettingsLog.BackToRunning(_logger, key, _file!.FilePath);
                }
            }
        }

        _metrics.RestartPending(pending);
        return live.Length == 0 ? "no live setting changed" : live.ToString();
    }

    private string? Running(string key) => _running.TryGetValue(key, out var value) ? value : null;

    private static string Show(string? value) => value is null ? "(unset)" : $"'{value}'";

    private static void AddFailures(List<string> errors, ValidateOptionsResult result)
    {
        if (result.Failed)
        {
            errors.AddRange(result.Failures);
        }
    }

    /// <summary>Log levels as the logging framework reads them (a name, case-insensitive); it would throw on any other.</summary>
    private static void ValidateLogLevels(List<string> errors, IConfiguration candidate)
    {
        foreach (var (key, value) in candidate.GetSection("Logging").AsEnumerable())
        {
            if (value is not null && LogLevelKey().IsMatch(key)
                && !(Enum.TryParse<LogLevel>(value, ignoreCase: true, out var level) && Enum.IsDefined(level)))
            {
                errors.Add($"{key} must be a log level: Trace, Debug, Information, Warning, Error, Critical or None (got '{value}')");
            }
        }
    }

    [GeneratedRegex(@"^(Logging:([^:]+:)?LogLevel(:|$)|Quota:(AllowedAccounts|ShadowAccounts)(:|$)|Quota:Shadow$|Quota:Envoy(:|$))", RegexOptions.IgnoreCase)]
    private static partial Regex LiveKey();

    [GeneratedRegex(@"^Quota:Envoy:Enabled$", RegexOptions.IgnoreCase)]
    private static partial Regex EnvoyEnabled();

    [GeneratedRegex(@"^Logging:([^:]+:)?LogLevel:", RegexOptions.IgnoreCase)]
    private static partial Regex LogLevelKey();
}
