using QuotaSidecar.Core.Accounts;

namespace QuotaSidecar.Configuration;

public sealed class SeedAccount
{
    public string AccountId { get; set; } = "";

    /// <summary>Credits of the account's seed grant (grant id <c>seed-&lt;account&gt;</c>); 0: none.</summary>
    public long Credits { get; set; }

    public OverageMode OverageMode { get; set; } = OverageMode.Hard;

    public long OverageLimit { get; set; }

    public long LowBalanceThreshold { get; set; }

    public string Unit { get; set; } = "";

    /// <summary>The account's parent in its tree (docs/design.md#account-tree); empty: a root. Set when the account is
    /// created (a seed never changes an existing account); a parent that is seeded too must be listed before it.</summary>
    public string? ParentId { get; set; }
}
