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
}
