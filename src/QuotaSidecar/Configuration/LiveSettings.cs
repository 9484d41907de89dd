using QuotaSidecar.Envoy;

namespace QuotaSidecar.Configuration;

/// <summary>
/// The settings that change without a restart (docs/deploy.md#live-settings), as one immutable snapshot: a reload of
/// the settings file builds a new one, validated, and <see cref="SettingsReload"/> swaps it in with one reference
/// write. A request reads the reference once and sees one consistent set, never a half-applied reload. (Log levels
/// are live too, but the logging framework reloads them itself from the configuration.)
/// </summary>
internal sealed class LiveSettings
{
    public LiveSettings(QuotaOptions quota, EnvoyOptions envoy)
    {
        ArgumentNullException.ThrowIfNull(quota);
        AllowedAccounts = new AccountPatterns(quota.AllowedAccounts);
        ShadowAll = quota.Shadow;
        ShadowAccounts = new AccountPatterns(quota.ShadowAccounts);
        ShadowOff = !ShadowAll && ShadowAccounts.IsEmpty;
        Envoy = new CheckRules(envoy);
    }

    /// <summary>Quota:AllowedAccounts; empty: any account.</summary>
    public AccountPatterns AllowedAccounts { get; }

    /// <summary>Quota:Shadow: every account is in shadow mode.</summary>
    public bool ShadowAll { get; }

    /// <summary>Quota:ShadowAccounts.</summary>
    public AccountPatterns ShadowAccounts { get; }

    /// <summary>No account is in shadow mode.</summary>
    public bool ShadowOff { get; }

    /// <summary>The Envoy APIs' per-request rules (Quota:Envoy, except Enabled).</summary>
    public CheckRules Envoy { get; }

    public bool IsShadowed(string accountId) => ShadowAll || ShadowAccounts.Matches(accountId);
}
