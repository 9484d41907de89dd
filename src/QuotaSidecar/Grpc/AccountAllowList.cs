using Grpc.Core;
using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;

namespace QuotaSidecar.Grpc;

/// <summary>The accounts this sidecar's Quota API may spend (Quota:AllowedAccounts); everything when unset.</summary>
internal sealed class AccountAllowList
{
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly string[] _prefixes;

    public AccountAllowList(IOptions<QuotaOptions> options)
    {
        var prefixes = new List<string>();
        foreach (var entry in options.Value.AllowedAccounts)
        {
            if (entry.EndsWith('*'))
            {
                prefixes.Add(entry[..^1]);
            }
            else
            {
                _exact.Add(entry);
            }
        }

        _prefixes = [.. prefixes];
        IsOpen = _exact.Count == 0 && _prefixes.Length == 0;
    }

    public bool IsOpen { get; }

    public void Check(string accountId)
    {
        if (IsOpen || _exact.Contains(accountId))
        {
            return;
        }

        foreach (var prefix in _prefixes)
        {
            if (accountId.StartsWith(prefix, StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new RpcException(new Status(StatusCode.PermissionDenied, $"account '{Truncate(accountId)}' is not allowed on this sidecar (see Quota:AllowedAccounts)"));
    }

    private static string Truncate(string s) => s.Length <= 128 ? s : s[..128] + "…";
}
