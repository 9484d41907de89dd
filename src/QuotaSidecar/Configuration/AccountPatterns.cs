namespace QuotaSidecar.Configuration;

/// <summary>
/// A list of account ids as written in Quota:AllowedAccounts or Quota:ShadowAccounts: an entry ending in <c>*</c> is a
/// prefix, any other is exact. Immutable, so a reload replaces it whole and readers need no lock.
/// </summary>
internal sealed class AccountPatterns
{
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly string[] _prefixes;

    public AccountPatterns(IEnumerable<string> entries)
    {
        var prefixes = new List<string>();
        foreach (var entry in entries)
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
        IsEmpty = _exact.Count == 0 && _prefixes.Length == 0;
    }

    /// <summary>No entry: the list matches nothing.</summary>
    public bool IsEmpty { get; }

    public bool Matches(string accountId)
    {
        if (_exact.Contains(accountId))
        {
            return true;
        }

        foreach (var prefix in _prefixes)
        {
            if (accountId.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
