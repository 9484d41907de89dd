using Grpc.Core;
using QuotaSidecar.Configuration;

namespace QuotaSidecar.Grpc;

/// <summary>The accounts this sidecar's Quota API may spend (Quota:AllowedAccounts); everything when unset. Live: each
/// call reads the current <see cref="LiveSettings"/> once, so a reload of the settings file applies to the next call.</summary>
internal sealed class AccountAllowList(SettingsReload settings)
{
    public bool IsOpen => settings.Current.AllowedAccounts.IsEmpty;

    /// <summary>Throws PERMISSION_DENIED naming the setting when <paramref name="accountId"/> is not allowed.</summary>
    public void Check(string accountId)
    {
        if (!Allows(accountId))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"account '{Truncate(accountId)}' is not allowed on this sidecar (see Quota:AllowedAccounts)"));
        }
    }

    /// <summary>Whether <paramref name="accountId"/> may be spent here (the Envoy APIs answer a denial, not an error).</summary>
    public bool Allows(string accountId)
    {
        var list = settings.Current.AllowedAccounts;
        return list.IsEmpty || list.Matches(accountId);
    }

    private static string Truncate(string s) => s.Length <= 128 ? s : s[..128] + "…";
}
